//! Conformance tests for patterns and the router, and a property test against the
//! reference matcher.

use proptest::prelude::*;

use super::*;

fn p(text: &str) -> Pattern {
    Pattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn star_matches_exactly_one_segment() {
    let pattern = p("user.*");
    assert!(pattern.matches("user.created"));
    assert!(!pattern.matches("user"));
    assert!(!pattern.matches("user.profile.updated"));
}

#[test]
fn double_star_matches_zero_or_more_segments() {
    let pattern = p("user.**");
    for ty in ["user", "user.created", "user.profile.updated"] {
        assert!(pattern.matches(ty), "{ty}");
    }
    assert!(!pattern.matches("users.created"));
    assert!(p("**.created").matches("created"));
    assert!(p("**.created").matches("a.b.created"));
    assert!(p("a.**.m.**.z").matches("a.b.c.m.x.y.z"));
    assert!(!p("a.**.m.**.z").matches("a.b.c.x.y.z"));
}

#[test]
fn the_whole_type_must_match() {
    assert!(!p("user").matches("user.created"));
    assert!(!p("user.created").matches("user"));
    assert!(p("user.created").matches("user.created"));
}

#[test]
fn invalid_paths_get_the_known_messages() {
    let cases = [
        ("a..b", "Path cannot contain consecutive dots"),
        ("**.**", "Path cannot contain multiple wildcards"),
        ("a.**.**.b", "Path cannot contain multiple wildcards"),
        ("a.***", "Path cannot contain '**' sequence"),
        ("a.b*", "Path cannot contain '*' within a segment"),
        ("a.*b.c", "Path cannot contain '*' within a segment"),
        ("", "Path contains invalid characters"),
        (".a", "Path contains invalid characters"),
        ("a.", "Path contains invalid characters"),
        ("a b", "Path contains invalid characters"),
        ("user@home", "Path contains invalid characters"),
        ("a/b", "Path contains invalid characters"),
    ];
    for (text, message) in cases {
        assert_eq!(Pattern::parse(text).map_err(|e| e.to_string()), Err(message.to_owned()), "{text}");
    }
    for ok in ["a", "a-b_c.D9", "*", "**", "a.*.b.**"] {
        assert!(Pattern::parse(ok).is_ok(), "{ok}");
    }
}

#[test]
fn routes_come_back_most_specific_first() {
    let mut router = Router::new();
    router.insert(1, p("**"), -100, "**");
    router.insert(2, p("*.*.created"), 0, "*.*.created");
    router.insert(3, p("user.**"), 0, "user.**");
    router.insert(4, p("user.*.created"), 0, "user.*.created");
    router.insert(5, p("user.123.created"), 0, "user.123.created");
    let order: Vec<&str> = router.matches("user.123.created").iter().map(|r| r.value).collect();
    assert_eq!(order, ["user.123.created", "user.*.created", "user.**", "*.*.created", "**"]);
}

#[test]
fn routes_for_a_signal_keep_the_order_and_drop_what_the_filters_refuse() {
    use super::filter::{Filter, FilterSet};
    let filters = |json: serde_json::Value| {
        FilterSet::new(&serde_json::from_value::<Vec<Filter>>(json).expect("filters"))
    };
    let mut router = Router::new();
    router.insert(1, p("**"), 0, "any");
    let eu = filters(serde_json::json!([{"exact": {"source": "/shop/eu"}}]));
    router.insert_filtered(2, p("order.*"), 0, eu, "eu");
    let us = filters(serde_json::json!([{"prefix": {"source": "/shop/us"}}]));
    router.insert_filtered(3, p("order.created"), 0, us, "us");
    let big = filters(serde_json::json!([{"sql": "source LIKE '/shop/%' AND amount > 100"}]));
    router.insert_filtered(4, p("order.created"), 5, big, "big");
    let mut signal = crate::signal::Signal::builder("order.created", "/shop/eu").build().expect("signal");
    signal.extensions.insert("amount".to_owned(), crate::signal::ExtensionValue::Integer(150));
    let values = |routes: Vec<&Route<&'static str>>| routes.iter().map(|r| r.value).collect::<Vec<_>>();
    assert_eq!(values(router.matches("order.created")), ["big", "us", "eu", "any"], "the type alone");
    assert_eq!(values(router.routes_for(&signal)), ["big", "eu", "any"]);
    signal.extensions.insert("amount".to_owned(), crate::signal::ExtensionValue::Integer(50));
    assert_eq!(values(router.routes_for(&signal)), ["eu", "any"]);
    router.remove(2);
    assert_eq!(values(router.routes_for(&signal)), ["any"]);
}

#[test]
fn priority_then_registration_order_break_ties() {
    let mut router = Router::new();
    router.insert(1, p("a.*"), 0, "first-0");
    router.insert(2, p("a.*"), 10, "high");
    router.insert(3, p("a.*"), 0, "second-0");
    router.insert(4, p("a.*"), -5, "low");
    let order: Vec<&str> = router.matches("a.b").iter().map(|r| r.value).collect();
    assert_eq!(order, ["high", "first-0", "second-0", "low"]);
}

#[test]
fn prefixes_order_by_what_follows() {
    assert!(p("a.*").specificity() < p("a.*.**").specificity(), "a trailing ** only widens");
    assert!(p("a.**.b").specificity() < p("a.**").specificity(), "a trailing literal narrows");
    assert!(p("a").specificity() < p("a.**").specificity());
}

#[test]
fn duplicate_and_overlapping_routes_each_match_once() {
    let mut router = Router::new();
    router.insert(1, p("a.**"), 0, 1);
    router.insert(2, p("a.**"), 0, 2);
    router.insert(3, p("**.b.**"), 0, 3);
    router.insert(4, p("**"), 0, 4);
    let ids: Vec<u64> = router.matches("a.b.b.c").iter().map(|r| r.id).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted, [1, 2, 3, 4], "each route once: {ids:?}");
    assert_eq!(ids.len(), 4);
}

#[test]
fn routes_ending_at_one_node_survive_removing_the_first_and_the_node_goes_with_the_last() {
    // The first route ending at a node is kept inline in it, the rest beside it.
    let mut router = Router::new();
    for id in 1..=3 {
        router.insert(id, p("a.b"), 0, ());
    }
    let ids = |router: &Router<()>| router.matches("a.b").iter().map(|r| r.id).collect::<Vec<u64>>();
    assert_eq!(ids(&router), [1, 2, 3]);
    assert!(router.remove(1).is_some());
    assert_eq!(ids(&router), [2, 3]);
    router.insert(4, p("a.b"), 0, ());
    assert!(router.remove(3).is_some());
    assert_eq!(ids(&router), [2, 4]);
    assert!(router.remove(2).is_some());
    assert_eq!(ids(&router), [4]);
    assert!(router.remove(4).is_some());
    assert!(router.matches("a.b").is_empty());
    assert_eq!(router.node_count(), 1, "only the root is left");
}

#[test]
fn a_node_with_many_literal_children_finds_each_after_adds_and_removals() {
    let mut router = Router::new();
    for (id, name) in ["a", "b", "c", "d", "e", "f", "g"].iter().enumerate() {
        router.insert(id as u64, p(&format!("x.{name}")), 0, ());
    }
    for (id, name) in ["a", "b", "c", "d", "e", "f", "g"].iter().enumerate() {
        let ids: Vec<u64> = router.matches(&format!("x.{name}")).iter().map(|r| r.id).collect();
        assert_eq!(ids, [id as u64], "x.{name}");
    }
    for id in [0, 2, 4, 6, 1] {
        router.remove(id);
    }
    assert_eq!(router.matches("x.d").iter().map(|r| r.id).collect::<Vec<_>>(), [3]);
    assert_eq!(router.matches("x.f").iter().map(|r| r.id).collect::<Vec<_>>(), [5]);
    assert!(router.matches("x.a").is_empty() && router.matches("x.b").is_empty());
    router.remove(3);
    router.remove(5);
    assert_eq!(router.node_count(), 1);
}

#[test]
fn a_segment_on_few_edges_then_many_then_few_again_is_found_under_each_parent() {
    // `k` sits under one, two, then three parents (more than a segment lists itself), then
    // under fewer again, and under a parent with many children (whose edges are in the table).
    let mut router = Router::new();
    for (id, parent) in ["p", "q", "r", "s", "t", "u"].iter().enumerate() {
        router.insert(id as u64, p(&format!("{parent}.k")), 0, ());
        router.insert(100 + id as u64, p(&format!("{parent}.other")), 0, ());
    }
    let found = |router: &Router<()>, ty: &str| router.matches(ty).iter().map(|r| r.id).collect::<Vec<_>>();
    for (id, parent) in ["p", "q", "r", "s", "t", "u"].iter().enumerate() {
        assert_eq!(found(&router, &format!("{parent}.k")), [id as u64], "{parent}.k");
    }
    for id in [1, 2, 3, 4] {
        router.remove(id);
    }
    assert_eq!(found(&router, "p.k"), [0]);
    assert_eq!(found(&router, "u.k"), [5]);
    assert!(found(&router, "q.k").is_empty() && found(&router, "t.k").is_empty());
    // Released when its last edge goes, the segment is interned afresh and listed again.
    router.remove(0);
    router.remove(5);
    router.insert(7, p("many.k"), 0, ());
    for (id, name) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        router.insert(200 + id as u64, p(&format!("many.{name}")), 0, ());
    }
    router.insert(8, p("k.k"), 0, ());
    assert_eq!(found(&router, "many.k"), [7]);
    assert_eq!(found(&router, "k.k"), [8]);
    assert!(found(&router, "p.k").is_empty());
    router.remove(7);
    assert!(found(&router, "many.k").is_empty());
    assert_eq!(found(&router, "k.k"), [8]);
}

#[test]
fn removing_a_route_prunes_it_and_keeps_the_others() {
    let mut router = Router::new();
    router.insert(1, p("a.b"), 0, ());
    router.insert(2, p("a.*"), 0, ());
    assert!(router.remove(1).is_some());
    assert!(router.remove(1).is_none());
    let ids: Vec<u64> = router.matches("a.b").iter().map(|r| r.id).collect();
    assert_eq!(ids, [2]);
    router.remove(2);
    assert!(router.is_empty());
    assert!(router.matches("a.b").is_empty());
    assert_eq!(router.node_count(), 1, "only the root is left");
}

fn segment() -> impl Strategy<Value = String> {
    // Six literals, so a node can have more children than it keeps inline.
    let literal = prop_oneof![Just("a"), Just("b"), Just("c"), Just("e"), Just("f"), Just("g")];
    prop_oneof![3 => literal, 1 => Just("*"), 1 => Just("**")].prop_map(str::to_owned)
}

fn pattern_text() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 1..6).prop_map(|s| s.join("."))
}

fn type_text() -> impl Strategy<Value = String> {
    // `d` is in no pattern: only `*` and `**` match it.
    prop::collection::vec(prop_oneof![Just("a"), Just("b"), Just("c"), Just("d")], 1..7)
        .prop_map(|s| s.join("."))
}

proptest! {
    #[test]
    fn router_agrees_with_the_reference_matcher(patterns in prop::collection::vec(pattern_text(), 1..20), types in prop::collection::vec(type_text(), 1..20)) {
        let mut router = Router::new();
        let mut valid = Vec::new();
        for (id, text) in patterns.iter().enumerate() {
            if let Ok(pattern) = Pattern::parse(text) {
                router.insert(id as u64, pattern.clone(), 0, ());
                valid.push((id as u64, pattern));
            }
        }
        for ty in &types {
            let mut expected: Vec<u64> = valid.iter().filter(|(_, p)| p.matches(ty)).map(|(id, _)| *id).collect();
            let mut got: Vec<u64> = router.matches(ty).iter().map(|r| r.id).collect();
            prop_assert_eq!(got.len(), expected.len(), "duplicates or misses for {}", ty);
            expected.sort_unstable();
            got.sort_unstable();
            prop_assert_eq!(got, expected, "type {}", ty);
        }
    }

    #[test]
    fn removals_keep_the_router_agreeing_and_prune_to_the_root(patterns in prop::collection::vec(pattern_text(), 1..24), types in prop::collection::vec(type_text(), 1..12), gone in prop::collection::vec(any::<bool>(), 24)) {
        let mut router = Router::new();
        let mut kept = Vec::new();
        for (id, text) in patterns.iter().enumerate() {
            let Ok(pattern) = Pattern::parse(text) else { continue };
            router.insert(id as u64, pattern.clone(), 0, ());
            if gone[id] {
                continue;
            }
            kept.push((id as u64, pattern));
        }
        for (id, _) in patterns.iter().enumerate().filter(|(id, _)| gone[*id]) {
            router.remove(id as u64);
        }
        for ty in &types {
            let mut expected: Vec<u64> = kept.iter().filter(|(_, p)| p.matches(ty)).map(|(id, _)| *id).collect();
            let mut got: Vec<u64> = router.matches(ty).iter().map(|r| r.id).collect();
            expected.sort_unstable();
            got.sort_unstable();
            prop_assert_eq!(got, expected, "type {} after removals", ty);
        }
        for (id, _) in &kept {
            router.remove(*id);
        }
        prop_assert_eq!(router.node_count(), 1, "removing every route prunes the trie to its root");
    }

    #[test]
    fn interleaved_adds_and_removals_keep_the_router_agreeing(pool in prop::collection::vec(pattern_text(), 1..12), steps in prop::collection::vec((any::<bool>(), 0usize..12), 1..40), types in prop::collection::vec(type_text(), 1..8)) {
        let mut router = Router::new();
        let mut live: std::collections::BTreeMap<u64, Pattern> = Default::default();
        for (add, at) in steps {
            let id = (at % pool.len()) as u64;
            let Ok(pattern) = Pattern::parse(&pool[id as usize]) else { continue };
            if add {
                router.insert(id, pattern.clone(), 0, ());
                live.insert(id, pattern);
            } else {
                router.remove(id);
                live.remove(&id);
            }
            for ty in &types {
                let expected: Vec<u64> = live.iter().filter(|(_, p)| p.matches(ty)).map(|(id, _)| *id).collect();
                let mut got: Vec<u64> = router.matches(ty).iter().map(|r| r.id).collect();
                got.sort_unstable();
                prop_assert_eq!(got, expected, "type {}", ty);
            }
        }
    }
}
