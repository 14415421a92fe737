/** The npm package has no typings: its one function, as the metrics tests use it. */
declare module 'parse-prometheus-text-format' {
  function parsePrometheusTextFormat(text: string): unknown[];
  export default parsePrometheusTextFormat;
}
