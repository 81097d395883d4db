//! The Python-list parser against Python itself: a corpus of generated tricky
//! literals and hand-written edge cases, each parsed by `pylist::parse_strings`
//! and by `ast.literal_eval` in `python3`; the results must be identical
//! (the same items, or an error on both sides).

use mangetamain::ingest::foodcom::pylist;
use std::io::Write;
use std::process::{Command, Stdio};

const PYTHON: &str = r#"
import ast, json, sys, warnings
warnings.simplefilter("ignore")
for line in sys.stdin:
    src = json.loads(line)
    try:
        v = ast.literal_eval(src)
        out = {"ok": v} if isinstance(v, list) and all(isinstance(x, str) for x in v) else {"err": "not a list of str"}
    except Exception as e:
        out = {"err": type(e).__name__}
    print(json.dumps(out))
"#;

/// A small deterministic generator (xorshift64*).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const ALPHABET: &[char] = &[
    'a', 'b', 'Z', '0', '9', ' ', ',', '\'', '"', '\\', 'é', 'ñ', '日', '🍝', '\t', '\n', '[', ']', '&', '#', ';', '%',
];

/// One item written with a random quoting and escaping style.
fn literal(g: &mut Gen, item: &str) -> String {
    if g.chance(40) {
        return pylist::repr(item);
    }
    let q = if g.chance(50) { '\'' } else { '"' };
    let mut out = String::new();
    out.push(q);
    for c in item.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            '\t' if g.chance(50) => out.push_str("\\t"),
            c if c.is_ascii_alphanumeric() && g.chance(15) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_ascii_alphanumeric() && g.chance(10) => out.push_str(&format!("\\{:o}", c as u32)),
            c if !c.is_ascii() && (c as u32) < 0x10000 && g.chance(30) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if !c.is_ascii() && g.chance(20) => out.push_str(&format!("\\U{:08x}", c as u32)),
            c => out.push(c),
        }
        if g.chance(3) {
            // an escape Python keeps as written
            out.push_str("\\d");
        }
    }
    out.push(q);
    out
}

fn corpus() -> Vec<String> {
    let mut g = Gen(0x5eed_1234_abcd_0001);
    let mut out: Vec<String> = [
        "[]",
        "[ ]",
        "['60-minutes-or-less', 'time-to-make']",
        r#"["hellmann's mayonnaise", 'salt, pepper']"#,
        r#"['grandma\'s 9" pie crust']"#,
        r"['a\\b', 'c\\']",
        "['a',]",
        "['a' 'b', \"c\" 'd']",
        "['unterminated]",
        "['a'",
        "'a', 'b'",
        "['a', 1]",
        "('a',)",
        "['a']]",
        "[,]",
        "['a',,'b']",
        "['line\nbreak']",
        r"['\x4']",
        r"['\u00e']",
        r"['\777']",
        r"['\0']",
        r"['\N']",
        "[\"it's\", 'say \"hi\"']",
        "['é', '日本', '🍝']",
        "[ 'spaced' , 'out' ]",
        "['trailing']  ",
        "['a']\n",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    while out.len() < 1500 {
        let n = g.below(6);
        let mut items = Vec::new();
        for _ in 0..n {
            let len = g.below(12);
            let s: String = (0..len).map(|_| ALPHABET[g.below(ALPHABET.len())]).collect();
            items.push(literal(&mut g, &s));
        }
        let sep = [", ", ",", " , ", ",\n "][g.below(4)];
        let mut src = format!("[{}{}]", items.join(sep), if g.chance(10) && n > 0 { "," } else { "" });
        if g.chance(10) {
            // damage it: drop a character somewhere
            let chars: Vec<char> = src.chars().collect();
            let at = g.below(chars.len());
            src = chars.iter().enumerate().filter(|(i, _)| *i != at).map(|(_, c)| c).collect();
        }
        out.push(src);
    }
    out
}

/// Python's answer for each source of `corpus` (one JSON line each), by `script`.
fn ask_python(python: &str, script: &str, corpus: &[String]) -> Vec<serde_json::Value> {
    let mut child =
        Command::new(python).arg("-c").arg(script).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for src in corpus {
            writeln!(stdin, "{}", serde_json::to_string(src).unwrap()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let answers: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(answers.len(), corpus.len());
    answers
}

#[test]
fn agrees_with_python_literal_eval() {
    let Some(python) = crate::common::python3() else { return };
    let corpus = corpus();
    let answers = ask_python(python, PYTHON, &corpus);
    let mut mismatches = Vec::new();
    let mut valid = 0;
    for (src, answer) in corpus.iter().zip(&answers) {
        let ours = pylist::parse_strings(src);
        let theirs: Option<Vec<String>> = answer.get("ok").map(|v| serde_json::from_value(v.clone()).unwrap());
        if theirs.is_some() {
            valid += 1;
        }
        match (&ours, &theirs) {
            (Ok(a), Some(b)) if a == b => {}
            (Err(_), None) => {}
            _ => mismatches.push(format!("{src:?}: ours {ours:?}, python {answer}")),
        }
    }
    assert!(valid >= 1000, "only {valid} valid literals in the corpus");
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
}

const PYTHON_FLOATS: &str = r#"
import ast, json, sys, warnings
warnings.simplefilter("ignore")
for line in sys.stdin:
    src = json.loads(line)
    try:
        v = ast.literal_eval(src)
        if isinstance(v, list) and all(type(x) in (int, float) for x in v):
            # JSON has no infinity: floats as their repr
            out = {"ok": [repr(float(x)) for x in v]}
        else:
            out = {"err": "not a list of numbers"}
    except Exception as e:
        out = {"err": type(e).__name__}
    print(json.dumps(out))
"#;

/// Number literals, valid and not, as Python writes them and people mangle them.
fn number_corpus() -> Vec<String> {
    let mut g = Gen(0x0dd_ba11_5eed_0002);
    let pieces = [
        "0",
        "1",
        "7",
        "10",
        "00",
        "007",
        "1_000",
        "1__0",
        "_1",
        "1_",
        ".5",
        "5.",
        "5.0",
        "1e5",
        "1E-5",
        "1e+05",
        "1e",
        "1.e3",
        ".e3",
        "0x1F",
        "0X_f",
        "0x",
        "0o17",
        "0o8",
        "0b101",
        "0b2",
        "1j",
        "2J",
        "nan",
        "NaN",
        "inf",
        "Infinity",
        "True",
        "False",
        "None",
        "1e999",
        "1e308",
        "2.2250738585072014e-308",
        "4.9e-324",
        "123456789012345678901234567890",
        "0.1",
        "3.14159",
        "1_0.5_0",
        "0_0",
        "09.5",
        "1.2.3",
        "'1'",
        "(1)",
        "((2.5))",
        "(1,)",
    ];
    let mut out: Vec<String> = pieces.iter().map(|p| format!("[{p}]")).collect();
    for p in pieces {
        out.push(format!("[-{p}]"));
        out.push(format!("[+ {p}]"));
    }
    out.extend(["[--1]", "[-(1)]", "[-(-1)]", "[1 + 2j]", "[1, # note\n 2]", "[1,\\\n 2]", "[1 2]"].map(String::from));
    while out.len() < 1500 {
        let n = g.below(8);
        let mut items = Vec::new();
        for _ in 0..n {
            let mut item = pieces[g.below(pieces.len())].to_string();
            if g.chance(25) {
                item = format!("{}{item}", ["-", "+", "- ", "(", "-("][g.below(5)]);
                if item.contains('(') {
                    item.push(')');
                }
            }
            items.push(item);
        }
        let sep = [", ", ",", " , ", ",\n "][g.below(4)];
        out.push(format!("[{}{}]", items.join(sep), if g.chance(10) && n > 0 { "," } else { "" }));
    }
    out
}

#[test]
fn numbers_agree_with_python_literal_eval() {
    let Some(python) = crate::common::python3() else { return };
    let corpus = number_corpus();
    let answers = ask_python(python, PYTHON_FLOATS, &corpus);
    let python_float = |repr: &str| match repr {
        "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        r => r.parse::<f64>().unwrap(),
    };
    let (mut valid, mut invalid) = (0, 0);
    let mut mismatches = Vec::new();
    for (src, answer) in corpus.iter().zip(&answers) {
        let ours = pylist::parse_floats(src);
        let theirs: Option<Vec<f64>> =
            answer.get("ok").map(|v| v.as_array().unwrap().iter().map(|r| python_float(r.as_str().unwrap())).collect());
        match &theirs {
            Some(_) => valid += 1,
            None => invalid += 1,
        }
        match (&ours, &theirs) {
            (Ok(a), Some(b)) if a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()) => {}
            (Err(_), None) => {}
            _ => mismatches.push(format!("{src:?}: ours {ours:?}, python {answer}")),
        }
    }
    assert!(valid >= 300 && invalid >= 300, "{valid} valid and {invalid} invalid lists in the corpus");
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
}
