use super::*;
use serde_json::json;

fn ok(src: &str) -> Value {
    match sql_to_condition(src) {
        Ok(v) => v,
        Err(e) => panic!("{src:?} failed: {e}"),
    }
}

fn err(src: &str) -> SqlError {
    match sql_to_condition(src) {
        Ok(v) => panic!("{src:?} unexpectedly parsed as {v}"),
        Err(e) => e,
    }
}

fn assert_err(src: &str, needle: &str, offset: usize) {
    let e = err(src);
    assert!(
        e.message.contains(needle),
        "{src:?}: message {:?} lacks {needle:?}",
        e.message
    );
    assert_eq!(e.offset, offset, "{src:?}: {e}");
}

#[test]
fn numeric_comparisons() {
    assert_eq!(
        ok("amount > 100"),
        json!({"field": "amount", "op": "gt", "value": 100})
    );
    for (op, name) in [
        (">", "gt"),
        ("<", "lt"),
        (">=", "gte"),
        ("<=", "lte"),
        ("=", "eq"),
        ("==", "eq"),
        ("!=", "neq"),
        ("<>", "neq"),
    ] {
        assert_eq!(
            ok(&format!("a.b {op} 10")),
            json!({"field": "a.b", "op": name, "value": 10}),
            "{op}"
        );
        assert_eq!(
            ok(&format!("a.b{op}10")),
            json!({"field": "a.b", "op": name, "value": 10}),
            "{op}"
        );
    }
}

#[test]
fn number_forms() {
    let v = |src: &str| ok(src)["value"].clone();
    assert_eq!(v("a > -5"), json!(-5));
    assert_eq!(v("a > - 5"), json!(-5));
    assert_eq!(v("a > +5"), json!(5));
    assert_eq!(v("a > 5.5"), json!(5.5));
    assert_eq!(v("a > -5.25"), json!(-5.25));
    assert_eq!(v("a > .5"), json!(0.5));
    assert_eq!(v("a > -.5"), json!(-0.5));
    assert_eq!(v("a > 5."), json!(5));
    assert_eq!(v("a > 1e3"), json!(1000));
    assert_eq!(v("a > 2.5E-1"), json!(0.25));
    assert_eq!(v("a > 1e+2"), json!(100));
    assert_eq!(v("a > 5.0"), json!(5));
    assert_eq!(v("a > 1e20"), json!(1e20));
    assert_eq!(v("a > 9007199254740993"), json!(9007199254740992i64));
    assert_eq!(v("a>=-0"), json!(0));
    assert_eq!(v("a > --5"), json!(5));
    // A number stops where BlazeRules' number token stops: `5and` is `5` then `and`.
    assert_eq!(
        ok("a>5and b<3"),
        json!({"and": [
            {"field": "a", "op": "gt", "value": 5},
            {"field": "b", "op": "lt", "value": 3}
        ]})
    );
}

#[test]
fn bad_numbers() {
    assert_err("a > 1.2.3", "invalid number '1.2.3'", 4);
    assert_err("a > 5e", "invalid number '5e'", 4);
    assert_err("a > 1e+", "invalid number", 4);
    assert_err("a > 1e999", "number out of range", 4);
    assert_err("a > -1e999", "number out of range", 5);
}

#[test]
fn categorical_equality() {
    assert_eq!(
        ok("country = 'US'"),
        json!({"field": "country", "op": "in", "values": ["US"]})
    );
    assert_eq!(
        ok("country == \"US\""),
        json!({"field": "country", "op": "in", "values": ["US"]})
    );
    assert_eq!(
        ok("country != 'US'"),
        json!({"field": "country", "op": "not_in", "values": ["US"]})
    );
    assert_eq!(
        ok("country <> US"),
        json!({"field": "country", "op": "not_in", "values": ["US"]})
    );
    // A quoted number stays categorical text.
    assert_eq!(
        ok("code = '12'"),
        json!({"field": "code", "op": "in", "values": ["12"]})
    );
    // A bare identifier on the right of = is a categorical literal (BlazeRules meaning).
    assert_eq!(
        ok("a = b.c"),
        json!({"field": "a", "op": "in", "values": ["b.c"]})
    );
    assert_eq!(
        ok("flag = TRUE"),
        json!({"field": "flag", "op": "in", "values": ["TRUE"]})
    );
    assert_eq!(
        ok("x = NULL"),
        json!({"field": "x", "op": "in", "values": ["NULL"]})
    );
    assert_eq!(
        ok("s = ''"),
        json!({"field": "s", "op": "in", "values": [""]})
    );
    // No escapes: a doubled quote ends the string.
    assert_err("s = 'it''s'", "unexpected token ''s''", 8);
}

#[test]
fn strings_with_ordering_are_errors() {
    assert_err(
        "country > 'US'",
        "operator '>' cannot compare with a string",
        8,
    );
    assert_err(
        "a <= \"x\"",
        "operator '<=' cannot compare with a string",
        2,
    );
    assert_err("'US' = country", "string can only appear on the right", 0);
    assert_err("a + 1 = 'x'", "string can only be compared with a field", 8);
}

#[test]
fn is_null() {
    assert_eq!(ok("a IS NULL"), json!({"field": "a", "op": "is_null"}));
    assert_eq!(
        ok("a.b is not null"),
        json!({"field": "a.b", "op": "is_not_null"})
    );
    assert_eq!(ok("a Is NuLl"), json!({"field": "a", "op": "is_null"}));
    assert_err("a IS 5", "expected NULL after IS, found '5'", 5);
    assert_err("a IS NOT", "expected NULL after IS, found end of input", 8);
    assert_err("a + 1 IS NULL", "expected a field name before IS", 0);
}

#[test]
fn in_lists() {
    assert_eq!(
        ok("a IN (5, 5.5, 'x', \"y z\", w, -2, 1e20, 1e15, 0.1)"),
        json!({"field": "a", "op": "in", "values": [
            "5", "5.500000", "x", "y z", "w", "-2",
            "100000000000000000000.000000", "1000000000000000", "0.100000"
        ]})
    );
    assert_eq!(
        ok("a in ()"),
        json!({"field": "a", "op": "in", "values": []})
    );
    assert_eq!(
        ok("a NOT IN (1, 2,)"),
        json!({"field": "a", "op": "not_in", "values": ["1", "2"]})
    );
    assert_eq!(
        ok("a not in (TRUE)"),
        json!({"field": "a", "op": "not_in", "values": ["TRUE"]})
    );
    assert_err("a IN 5", "expected '(' after IN, found '5'", 5);
    assert_err(
        "a IN (1 2)",
        "expected ')' to close the IN list, found '2'",
        8,
    );
    assert_err("a IN (1,", "found end of input", 8);
    assert_err("a IN (,)", "expected a field name or value, found ','", 6);
    assert_err("a IN (1 + b)", "IN list items must be", 6);
    assert_err("a IN ((b))", "IN list items must be", 6);
    assert_err("a NOT LIKE 'x'", "expected IN after NOT, found 'LIKE'", 6);
    assert_err("a NOT", "expected IN after NOT", 5);
}

#[test]
fn between() {
    assert_eq!(
        ok("a BETWEEN 1 AND 5"),
        json!({"field": "a", "op": "between_including", "value": [1, 5]})
    );
    assert_eq!(
        ok("a between -1.5 and +2e1"),
        json!({"field": "a", "op": "between_including", "value": [-1.5, 20]})
    );
    assert_eq!(
        ok("a BETWEEN 1 AND 5 AND b = 2"),
        json!({"and": [
            {"field": "a", "op": "between_including", "value": [1, 5]},
            {"field": "b", "op": "eq", "value": 2}
        ]})
    );
    assert_err("a BETWEEN x AND 5", "BETWEEN requires numeric bounds", 10);
    assert_err("a BETWEEN 1 AND '5'", "BETWEEN requires numeric bounds", 16);
    assert_err(
        "a BETWEEN 1 OR 5",
        "expected AND in BETWEEN, found 'OR'",
        12,
    );
    assert_err(
        "a BETWEEN 1 + 1 AND 5",
        "BETWEEN requires numeric bounds",
        10,
    );
}

#[test]
fn like() {
    let like = |pat: &str| ok(&format!("s LIKE '{pat}'"));
    assert_eq!(
        like("%abc%"),
        json!({"field": "s", "op": "contains", "value": "abc"})
    );
    assert_eq!(
        like("abc%"),
        json!({"field": "s", "op": "starts_with", "value": "abc"})
    );
    assert_eq!(
        like("%abc"),
        json!({"field": "s", "op": "ends_with", "value": "abc"})
    );
    assert_eq!(
        like("abc"),
        json!({"field": "s", "op": "contains", "value": "abc"})
    );
    assert_eq!(
        like("a_c"),
        json!({"field": "s", "op": "contains", "value": "a_c"})
    );
    assert_eq!(
        like("a%c"),
        json!({"field": "s", "op": "contains", "value": "a%c"})
    );
    assert_eq!(
        like("%a%c%"),
        json!({"field": "s", "op": "contains", "value": "a%c"})
    );
    assert_eq!(
        like("%"),
        json!({"field": "s", "op": "contains", "value": ""})
    );
    assert_eq!(
        like("%%"),
        json!({"field": "s", "op": "contains", "value": ""})
    );
    assert_eq!(
        like(""),
        json!({"field": "s", "op": "contains", "value": ""})
    );
    assert_eq!(
        like("%é"),
        json!({"field": "s", "op": "ends_with", "value": "é"})
    );
    assert_eq!(
        ok("s ILIKE \"Ab%\""),
        json!({"field": "s", "op": "starts_with", "value": "Ab"})
    );
    assert_err(
        "s LIKE abc",
        "expected a string pattern after LIKE, found 'abc'",
        7,
    );
    assert_err("s ilike 5", "expected a string pattern after ILIKE", 8);
    assert_err("1 LIKE 'x'", "expected a field name before LIKE", 0);
}

#[test]
fn boolean_structure_and_precedence() {
    let a = json!({"field": "a", "op": "eq", "value": 1});
    let b = json!({"field": "b", "op": "eq", "value": 2});
    let c = json!({"field": "c", "op": "eq", "value": 3});
    assert_eq!(
        ok("a = 1 OR b = 2 AND c = 3"),
        json!({"or": [a, {"and": [b, c]}]})
    );
    assert_eq!(
        ok("(a = 1 OR b = 2) AND c = 3"),
        json!({"and": [{"or": [a, b]}, c]})
    );
    assert_eq!(ok("a = 1 and b = 2 and c = 3"), json!({"and": [a, b, c]}));
    assert_eq!(ok("a = 1 or b = 2 or c = 3"), json!({"or": [a, b, c]}));
    assert_eq!(ok("NOT a = 1 AND b = 2"), json!({"and": [{"not": a}, b]}));
    assert_eq!(ok("not not a = 1"), json!({"not": {"not": a}}));
    assert_eq!(ok("NOT (a = 1 OR b = 2)"), json!({"not": {"or": [a, b]}}));
    assert_eq!(ok("((a = 1))"), a);
    assert_eq!(
        ok("NOT a IN (1)"),
        json!({"not": {"field": "a", "op": "in", "values": ["1"]}})
    );
    // Keywords are only keywords where a keyword is expected (BlazeRules).
    assert_eq!(
        ok("and = 5"),
        json!({"field": "and", "op": "eq", "value": 5})
    );
    assert_eq!(
        ok("a = 1 AND or = 2"),
        json!({"and": [a, {"field": "or", "op": "eq", "value": 2}]})
    );
    assert_eq!(ok(" \t\n\u{b}\u{c}\r a\n=\t1 "), a);
}

#[test]
fn field_to_field() {
    assert_eq!(
        ok("a > b"),
        json!({"field": "a", "op": "gt_field", "other_field": "b"})
    );
    assert_eq!(
        ok("a.x <= b.y"),
        json!({"field": "a.x", "op": "lte_field", "other_field": "b.y"})
    );
    assert_eq!(
        ok("a >= b"),
        json!({"field": "a", "op": "gte_field", "other_field": "b"})
    );
    assert_eq!(
        ok("a < b"),
        json!({"field": "a", "op": "lt_field", "other_field": "b"})
    );
    // Parentheses make the right side a field reference rather than a bare word.
    assert_eq!(
        ok("a = (b)"),
        json!({"field": "a", "op": "eq_field", "other_field": "b"})
    );
    assert_eq!(
        ok("a <> (b)"),
        json!({"field": "a", "op": "neq_field", "other_field": "b"})
    );
    assert_eq!(
        ok("(a) > (b)"),
        json!({"field": "a", "op": "gt_field", "other_field": "b"})
    );
    // A number on the left is swapped to the right.
    assert_eq!(ok("5 < a"), json!({"field": "a", "op": "gt", "value": 5}));
    assert_eq!(
        ok("-5 >= a"),
        json!({"field": "a", "op": "lte", "value": -5})
    );
    assert_err("a > TRUE", "TRUE/FALSE literals are not supported", 4);
    assert_err("a > null", "NULL can only be tested with IS", 4);
    assert_err("FALSE < a", "TRUE/FALSE literals are not supported", 0);
    assert_err("1 < 2", "a comparison must reference a field", 0);
}

#[test]
fn arithmetic() {
    assert_eq!(
        ok("a + b * 2 > c / 4"),
        json!({"op": "gt", "value": 0, "expr": {"op": "sub",
            "left": {"op": "add", "left": {"field": "a"},
                "right": {"op": "mul", "left": {"field": "b"}, "right": {"literal": 2}}},
            "right": {"op": "div", "left": {"field": "c"}, "right": {"literal": 4}}}})
    );
    assert_eq!(
        ok("a * 2 > 10.5"),
        json!({"op": "gt", "value": 10.5,
            "expr": {"op": "mul", "left": {"field": "a"}, "right": {"literal": 2}}})
    );
    assert_eq!(
        ok("a + b >= c"),
        json!({"op": "gte", "other_field": "c",
            "expr": {"op": "add", "left": {"field": "a"}, "right": {"field": "b"}}})
    );
    // With arithmetic on the left, a bare word on the right is a field even for =.
    assert_eq!(
        ok("a + b = c"),
        json!({"op": "eq", "other_field": "c",
            "expr": {"op": "add", "left": {"field": "a"}, "right": {"field": "b"}}})
    );
    // Field on the left, arithmetic on the right: the sides are swapped.
    assert_eq!(
        ok("a > b + 1"),
        json!({"op": "lt", "other_field": "a",
            "expr": {"op": "add", "left": {"field": "b"}, "right": {"literal": 1}}})
    );
    assert_eq!(
        ok("a = b * 2"),
        json!({"op": "eq", "other_field": "a",
            "expr": {"op": "mul", "left": {"field": "b"}, "right": {"literal": 2}}})
    );
    assert_eq!(
        ok("10 <= a / 2"),
        json!({"op": "gte", "value": 10,
            "expr": {"op": "div", "left": {"field": "a"}, "right": {"literal": 2}}})
    );
    // Left associativity and parentheses.
    assert_eq!(
        ok("a - b - c > 0"),
        json!({"op": "gt", "value": 0, "expr": {"op": "sub",
            "left": {"op": "sub", "left": {"field": "a"}, "right": {"field": "b"}},
            "right": {"field": "c"}}})
    );
    assert_eq!(
        ok("a / b / 2 > 0"),
        json!({"op": "gt", "value": 0, "expr": {"op": "div",
            "left": {"op": "div", "left": {"field": "a"}, "right": {"field": "b"}},
            "right": {"literal": 2}}})
    );
    assert_eq!(
        ok("(a + b) * 2 >= 10"),
        json!({"op": "gte", "value": 10, "expr": {"op": "mul",
            "left": {"op": "add", "left": {"field": "a"}, "right": {"field": "b"}},
            "right": {"literal": 2}}})
    );
    assert_eq!(
        ok("a-1 > 0"),
        json!({"op": "gt", "value": 0,
            "expr": {"op": "sub", "left": {"field": "a"}, "right": {"literal": 1}}})
    );
    assert_eq!(
        ok("a - -1 > 0"),
        json!({"op": "gt", "value": 0,
            "expr": {"op": "sub", "left": {"field": "a"}, "right": {"literal": -1}}})
    );
    assert_eq!(
        ok("-a > 5"),
        json!({"op": "gt", "value": 5,
            "expr": {"op": "sub", "left": {"literal": 0}, "right": {"field": "a"}}})
    );
    assert_eq!(
        ok("2 * 3 < a"),
        json!({"op": "lt", "other_field": "a",
            "expr": {"op": "mul", "left": {"literal": 2}, "right": {"literal": 3}}})
    );
    // A unary plus on a field is just the field (but no longer a bare word).
    assert_eq!(
        ok("a = +b"),
        json!({"field": "a", "op": "eq_field", "other_field": "b"})
    );
    assert_eq!(ok("(a) > 5"), json!({"field": "a", "op": "gt", "value": 5}));
    assert_eq!(ok("a > (5)"), json!({"field": "a", "op": "gt", "value": 5}));
    assert_eq!(
        ok("(a * 2 > 3) AND b = 1"),
        json!({"and": [
            {"op": "gt", "value": 3, "expr": {"op": "mul", "left": {"field": "a"}, "right": {"literal": 2}}},
            {"field": "b", "op": "eq", "value": 1}
        ]})
    );
    assert_eq!(
        ok("((a + b)) > 1"),
        json!({"op": "gt", "value": 1,
            "expr": {"op": "add", "left": {"field": "a"}, "right": {"field": "b"}}})
    );
}

#[test]
fn arithmetic_errors() {
    assert_err("1 + 2 > 3", "a comparison must reference a field", 0);
    assert_err("3 < 1 + 2", "a comparison must reference a field", 0);
    assert_err("1 + 2 > 3 * 4", "a comparison must reference a field", 0);
    assert_err("'x' + 1 > 2", "strings cannot be used in arithmetic", 0);
    assert_err("a + 'x' > 2", "strings cannot be used in arithmetic", 4);
    assert_err("-'x' = a", "strings cannot be used in arithmetic", 1);
    assert_err("(a > 1) + 2 > 3", "expected a value, found a condition", 0);
    assert_err("(a > 1) = 1", "a condition cannot be compared", 8);
    assert_err("a = (b > 1)", "a condition cannot be compared", 4);
    assert_err("a + TRUE > 1", "TRUE/FALSE literals are not supported", 4);
    assert_err(
        "a + b",
        "expected a comparison operator, found end of input",
        5,
    );
    assert_err("a * > 1", "expected a field name or value, found '>'", 4);
    assert_err("a => 1", "expected a field name or value, found '>'", 3);
    assert_err("a ! 1", "unexpected character '!'", 2);
    assert_err("a === 1", "expected a field name or value, found '='", 4);
}

#[test]
fn any_match() {
    assert_eq!(
        ok("any_match(items, x -> x.amount > 100 AND x.status = 'ok')"),
        json!({"array_any": {"path": "items", "where": {"and": [
            {"field": "amount", "op": "gt", "value": 100},
            {"field": "status", "op": "in", "values": ["ok"]}
        ]}}})
    );
    // Case-insensitive name; prefix stripped from bare words too, never inside strings,
    // never from the middle of a name.
    assert_eq!(
        ok("ANY_MATCH(order.lines, l -> l.sku = l.other OR l.a.b IN (l.c, 'l.d') OR x.l.y > 1 OR l IS NULL)"),
        json!({"array_any": {"path": "order.lines", "where": {"or": [
            {"field": "sku", "op": "in", "values": ["other"]},
            {"field": "a.b", "op": "in", "values": ["c", "l.d"]},
            {"field": "x.l.y", "op": "gt", "value": 1},
            {"field": "l", "op": "is_null"}
        ]}}})
    );
    // Combined with AND/OR/NOT anywhere (extension).
    assert_eq!(
        ok("amount > 1 AND NOT any_match(items, i -> i.v >= i.w * 2)"),
        json!({"and": [
            {"field": "amount", "op": "gt", "value": 1},
            {"not": {"array_any": {"path": "items", "where":
                {"op": "lte", "other_field": "v",
                 "expr": {"op": "mul", "left": {"field": "w"}, "right": {"literal": 2}}}}}}
        ]})
    );
    assert_eq!(
        ok("(any_match(a, x -> x.b = 1)) or c is null"),
        json!({"or": [
            {"array_any": {"path": "a", "where": {"field": "b", "op": "eq", "value": 1}}},
            {"field": "c", "op": "is_null"}
        ]})
    );
    // Outside a body the prefix means nothing.
    assert_eq!(
        ok("any_match(a, x -> x.b = 1) AND x.c = 2"),
        json!({"and": [
            {"array_any": {"path": "a", "where": {"field": "b", "op": "eq", "value": 1}}},
            {"field": "x.c", "op": "eq", "value": 2}
        ]})
    );
    // Not followed by '(' it is an ordinary field name.
    assert_eq!(
        ok("any_match = 1"),
        json!({"field": "any_match", "op": "eq", "value": 1})
    );
}

#[test]
fn any_match_errors() {
    assert_err(
        "any_match(items)",
        "expected ',' after the array path, found ')'",
        15,
    );
    assert_err(
        "any_match(items, x x.a = 1)",
        "expected '->' after the lambda variable",
        19,
    );
    assert_err("any_match(items, x => x.a = 1)", "expected '->'", 19);
    assert_err(
        "any_match(items, x.y -> x.a = 1)",
        "expected a lambda variable name",
        17,
    );
    assert_err(
        "any_match('items', x -> x.a = 1)",
        "expected the array path of any_match",
        10,
    );
    assert_err(
        "any_match(items, x -> )",
        "expected a field name or value, found ')'",
        22,
    );
    assert_err(
        "any_match(items, x -> x.a = 1",
        "expected ')' to close any_match",
        29,
    );
    assert_err(
        "any_match(items, x -> x. = 1)",
        "expected a field name after 'x.'",
        22,
    );
    assert_err(
        "any_match(items, x -> x.a)",
        "expected a comparison operator, found ')'",
        25,
    );
    assert_err(
        "any_match(a, x -> any_match(x.b, y -> y.c = 1))",
        "any_match cannot be nested",
        18,
    );
    assert_err(
        "any_match(a, x -> x.b = 1) > 3",
        "a condition cannot be compared",
        27,
    );
}

#[test]
fn general_errors() {
    assert_err("", "expected a field name or value, found end of input", 0);
    assert_err("   ", "found end of input", 3);
    assert_err("(a = 1 AND b = 2", "expected ')', found end of input", 16);
    assert_err("(a = 1 b = 2)", "expected ')', found 'b'", 7);
    assert_err("a = 'abc", "unterminated string", 4);
    assert_err("a = \"abc'", "unterminated string", 4);
    assert_err("a = 1 FOO", "unexpected token 'FOO'", 6);
    assert_err("a = 1)", "unexpected token ')'", 5);
    assert_err("a 5", "expected a comparison operator, found '5'", 2);
    assert_err("a", "expected a comparison operator, found end of input", 1);
    assert_err(
        "a AND b = 1",
        "expected a comparison operator, found 'AND'",
        2,
    );
    assert_err(
        "a = 1 AND b",
        "expected a comparison operator, found end of input",
        11,
    );
    assert_err(
        "a = 1 OR",
        "expected a field name or value, found end of input",
        8,
    );
    assert_err("TRUE", "TRUE/FALSE literals are not supported", 0);
    assert_err(
        "a = 1 AND false",
        "TRUE/FALSE literals are not supported",
        10,
    );
    assert_err("NOT TRUE", "TRUE/FALSE literals are not supported", 4);
    assert_err("a # 1", "unexpected character '#'", 2);
    assert_err("a = 1;", "unexpected character ';'", 5);
    assert_err("a = .x", "unexpected character '.'", 4);
    assert_err("a = 'é' AND € = 1", "unexpected character '€'", 13);
    assert_err("a = [1]", "unexpected character '['", 4);
    assert_err("a = x->", "unexpected token '->'", 5);
    assert_err(
        "NOT",
        "expected a field name or value, found end of input",
        3,
    );
    assert_err(
        "a = 1 AND AND",
        "expected a comparison operator, found end of input",
        13,
    );
    let e = err("(a = 1");
    assert_eq!(
        e.to_string(),
        "expected ')', found end of input at offset 6"
    );
}

#[test]
fn unicode_identifiers_and_strings() {
    assert_eq!(
        ok("prüfung.straße >= 1"),
        json!({"field": "prüfung.straße", "op": "gte", "value": 1})
    );
    assert_eq!(
        ok("ville = 'Zürich'"),
        json!({"field": "ville", "op": "in", "values": ["Zürich"]})
    );
    assert_eq!(
        ok("_x1 = \"a'b\""),
        json!({"field": "_x1", "op": "in", "values": ["a'b"]})
    );
}

fn nested_parens(k: usize) -> String {
    format!("{}a = 1{}", "(".repeat(k), ")".repeat(k))
}

#[test]
fn nesting_limits_match_blazerules() {
    // BlazeRules counts an OR and a NOT level per parenthesis: 63 levels pass, 64 fail.
    assert_eq!(
        ok(&nested_parens(63)),
        json!({"field": "a", "op": "eq", "value": 1})
    );
    let e = err(&nested_parens(64));
    assert_eq!(e.message, "expression nesting too deep");
    assert_eq!(e.offset, 64);
    // 126 NOTs pass, 127 fail.
    let nots = |m: usize| format!("{}a = 1", "NOT ".repeat(m));
    let mut v = ok(&nots(126));
    for _ in 0..126 {
        v = v["not"].take();
    }
    assert_eq!(v, json!({"field": "a", "op": "eq", "value": 1}));
    assert_err(&nots(127), "expression nesting too deep", 4 * 127);
    // A sign on a literal costs no level.
    ok(&format!("{}a > -1{}", "(".repeat(63), ")".repeat(63)));
    // An any_match body starts counting afresh, as BlazeRules parses it separately.
    ok(&format!("any_match(items, x -> {})", nested_parens(63)));
    assert_err(
        &format!("any_match(items, x -> {})", nested_parens(64)),
        "expression nesting too deep",
        22 + 64,
    );
}

#[test]
fn hostile_nesting_does_not_overflow() {
    for src in [
        "(".repeat(100_000),
        format!("{}a = 1{}", "(".repeat(50_000), ")".repeat(50_000)),
        "NOT ".repeat(100_000),
        "-".repeat(100_000) + "a > 1",
        format!("a > {}1", "-".repeat(100_000)),
        "a + ".repeat(100_000) + "a > 1",
        "a * ".repeat(100_000) + "a > 1",
        format!("a > {}", "1 - ".repeat(100_000)) + "b",
        "a = 1 AND ".repeat(100_000) + "a = 1",
        format!("any_match(a, x -> {}", "(".repeat(100_000)),
        format!("a IN ({})", "1,".repeat(100_000)),
    ] {
        let _ = sql_to_condition(&src);
    }
    assert_err(
        &("a + ".repeat(200) + "a > 1"),
        "expression nesting too deep",
        4 * 127 + 2,
    );
    ok(&("a + ".repeat(100) + "a > 1"));
    ok(&format!("{}a > 1", "-".repeat(1000)));
    let v = ok(&("a = 1 AND ".repeat(10_000) + "a = 1"));
    assert_eq!(v["and"].as_array().map(Vec::len), Some(10_001));
}

/// A tiny deterministic PRNG (xorshift) so the fuzz test needs no dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn check_no_panic(src: &str) {
    match sql_to_condition(src) {
        Ok(v) => assert!(v.is_object(), "{src:?} gave {v}"),
        Err(e) => {
            assert!(e.offset <= src.len(), "{src:?}: {e}");
            assert!(src.is_char_boundary(e.offset), "{src:?}: {e}");
            assert!(!e.message.is_empty());
        }
    }
}

#[test]
fn fuzz_token_soup() {
    const PIECES: &[&str] = &[
        "a",
        "b.c",
        "x.y",
        "x",
        " ",
        "(",
        ")",
        ",",
        "'s'",
        "\"t\"",
        "'",
        "\"",
        "1",
        "-2.5",
        "1e3",
        ".5",
        "5.",
        "1e",
        "+",
        "-",
        "*",
        "/",
        "->",
        ">",
        "<",
        ">=",
        "<=",
        "=",
        "==",
        "!=",
        "<>",
        "!",
        "AND",
        "or",
        "NOT",
        "IS",
        "NULL",
        "IN",
        "BETWEEN",
        "LIKE",
        "ilike",
        "any_match",
        "TRUE",
        "false",
        "é",
        "€",
        "\t",
        "\n",
        "#",
        "%",
        "_",
        "0",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    for _ in 0..30_000 {
        let n = 1 + rng.below(14);
        let src: String = (0..n)
            .map(|_| PIECES[rng.below(PIECES.len())])
            .collect::<Vec<_>>()
            .join(if rng.below(2) == 0 { " " } else { "" });
        check_no_panic(&src);
        if sql_to_condition(&src).is_ok() {
            parsed += 1;
        }
    }
    assert!(parsed > 0);
}

#[test]
fn fuzz_random_bytes_and_mutations() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let seeds = [
        "amount > 100 AND (country = 'US' OR country IN ('CA', 5.5)) AND NOT s LIKE '%x%'",
        "any_match(items, x -> x.a + x.b * 2 >= 10 OR x.c IS NOT NULL)",
        "a BETWEEN -1 AND 1e3 OR (b - c) / 2 <> d",
    ];
    for _ in 0..20_000 {
        // Random bytes kept valid UTF-8.
        let n = rng.below(24);
        let bytes: Vec<u8> = (0..n).map(|_| (rng.next() & 0xff) as u8).collect();
        check_no_panic(&String::from_utf8_lossy(&bytes));
        // Mutations of realistic strings: delete, duplicate or swap a character.
        let seed: Vec<char> = seeds[rng.below(seeds.len())].chars().collect();
        let mut s = seed.clone();
        for _ in 0..1 + rng.below(3) {
            if s.is_empty() {
                break;
            }
            let i = rng.below(s.len());
            match rng.below(3) {
                0 => {
                    s.remove(i);
                }
                1 => s.insert(i, seed[rng.below(seed.len())]),
                _ => {
                    let j = rng.below(s.len());
                    s.swap(i, j);
                }
            }
        }
        check_no_panic(&s.into_iter().collect::<String>());
    }
}
