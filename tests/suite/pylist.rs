//! The Python-list parser against Python itself: a corpus of generated tricky
//! literals and hand-written edge cases, each parsed by `pylist::parse_strings`
//! and by `ast.literal_eval` in `python3`; the results must be identical
//! (the same items, or an error on both sides).

use mangetamain::ingest::pylist;
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

#[test]
fn agrees_with_python_literal_eval() {
    let Some(python) = crate::common::python3() else { return };
    let corpus = corpus();
    let mut child =
        Command::new(python).arg("-c").arg(PYTHON).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for src in &corpus {
            writeln!(stdin, "{}", serde_json::to_string(src).unwrap()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let answers: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(answers.len(), corpus.len());
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
