// Preloaded into a benchmark child (`node -r benchmarks/lib/hwm.cjs …`): at exit, writes the
// process's peak resident set (VmHWM, kB) as JSON to $BLAZERULES_HWM_FILE.
const fs = require('node:fs');

process.on('exit', () => {
  const file = process.env.BLAZERULES_HWM_FILE;
  if (!file) return;
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const hwmKb = Number((/^VmHWM:\s+(\d+)/m.exec(status) || [])[1]);
  fs.writeFileSync(file, JSON.stringify({ hwmKb }));
});
