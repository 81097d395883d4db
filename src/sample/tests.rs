//! Tests of the sample generator.

use super::*;

#[test]
fn rng_is_stable() {
    let mut r = Rng(1);
    assert_eq!(r.next(), 0x910a_2dec_8902_5cc1);
    let mut r = Rng(7);
    for _ in 0..1000 {
        let i = r.skewed(10, 2.0);
        assert!(i < 10);
        assert!(r.below(3) < 3);
    }
}

#[test]
fn same_seed_same_bytes_and_quirks() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let opts = SampleOptions { recipes: 300, interactions: 1500, seed: 5 };
    write(a.path(), opts).unwrap();
    write(b.path(), opts).unwrap();
    for f in [RECIPES_FILE, INTERACTIONS_FILE] {
        assert_eq!(std::fs::read(a.path().join(f)).unwrap(), std::fs::read(b.path().join(f)).unwrap());
    }
    let recipes = std::fs::read_to_string(a.path().join(RECIPES_FILE)).unwrap();
    assert!(recipes.contains("2147483647"));
    assert!(recipes.contains("\"hellmann's mayonnaise\""), "double-quoted items");
    assert!(recipes.contains("'salt, pepper'") || recipes.contains("'boneless, skinless chicken thighs'"));
    assert!(recipes.contains("\n,"), "an empty name");
    let inter = std::fs::read_to_string(a.path().join(INTERACTIONS_FILE)).unwrap();
    assert!(inter.contains("&#039;") || inter.contains("&amp;"));
    assert!(inter.lines().any(|l| l.split(',').nth(3) == Some("0")), "rating 0");
    let other = tempfile::tempdir().unwrap();
    write(other.path(), SampleOptions { seed: 6, ..opts }).unwrap();
    assert_ne!(
        std::fs::read(a.path().join(RECIPES_FILE)).unwrap(),
        std::fs::read(other.path().join(RECIPES_FILE)).unwrap()
    );
}
