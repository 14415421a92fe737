use super::*;
use crate::rules::compile::{Channel, FieldRef};

fn field(name: &str) -> FieldRef {
    FieldRef {
        slot: 0,
        name: name.into(),
        parts: Box::new([name.into()]),
        empty_is_null: false,
    }
}

/// One count window of `secs` over `card`.
fn count_window(secs: i64) -> Windows {
    Windows {
        entities: vec![field("card")],
        channels: vec![Channel {
            entity: 0,
            func: WinFn::Count,
            value: None,
            denominator: None,
            time: None,
            duration_s: secs,
            key: format!("card count {secs}"),
        }],
        ..Windows::default()
    }
}

/// Adds one record of entity `key` at second `sec` to channel 0; returns its count before.
fn see(s: &mut ShardState, b: &Binding, key: &str, sec: i64) -> f64 {
    let id = s.touch(
        b.groups[0],
        key,
        crate::window::inputs::entity_hash("card", key),
        None,
    );
    let ch = b.chans[0];
    let now = s.tick(ch.clock, sec);
    s.with_row(id, |row| {
        let x = &mut row[ch.pos as usize];
        x.advance(now, ch.dur, ch.func);
        let v = x.value(ch.func);
        x.add(
            sec,
            super::super::series::Delta { val: 1.0, cnt: 1.0 },
            ch.func,
        );
        v
    })
}

#[test]
fn the_least_recently_seen_entity_is_evicted_and_counted() {
    let mut s = ShardState::new(2);
    let b = s.bind(&count_window(600));
    see(&mut s, &b, "a", 100);
    see(&mut s, &b, "b", 100);
    see(&mut s, &b, "a", 101); // b is now the least recently seen
    see(&mut s, &b, "c", 102); // evicts b
    let st = s.stats();
    assert_eq!((st.entities, st.evicted, st.buckets), (2, 1, 3));
    assert_eq!(see(&mut s, &b, "a", 103), 2.0, "a kept its state");
    assert_eq!(see(&mut s, &b, "b", 103), 0.0, "b starts over (evicting c)");
    assert_eq!(s.stats().evicted, 2);
}

#[test]
fn expired_entities_are_dropped_without_counting_an_eviction() {
    let mut s = ShardState::new(10);
    let b = s.bind(&count_window(10));
    see(&mut s, &b, "a", 100);
    see(&mut s, &b, "b", 105);
    see(&mut s, &b, "c", 111); // the clock is at 111: a's window (last seen 100) is over
    s.sweep();
    let st = s.stats();
    assert_eq!((st.entities, st.evicted), (2, 0));
    assert_eq!(see(&mut s, &b, "b", 112), 1.0, "b is still in its window");
}

#[test]
fn state_survives_a_rebind_for_an_unchanged_window() {
    let mut s = ShardState::new(10);
    let b = s.bind(&count_window(600));
    see(&mut s, &b, "a", 100);
    // A reload that adds a second window over the same entity field.
    let mut w = count_window(600);
    let mut extra = w.channels[0].clone();
    extra.duration_s = 60;
    extra.key = "card count 60".into();
    w.channels.insert(0, extra);
    let b2 = s.bind(&w);
    assert_eq!(
        b2.chans[1].pos, b.chans[0].pos,
        "the old window keeps its series"
    );
    let id = s.touch(
        b2.groups[0],
        "a",
        crate::window::inputs::entity_hash("card", "a"),
        None,
    );
    let old = s.with_row(id, |row| row[b2.chans[1].pos as usize].value(WinFn::Count));
    let new = s.with_row(id, |row| row[b2.chans[0].pos as usize].value(WinFn::Count));
    assert_eq!((old, new), (1.0, 0.0));
}

#[test]
fn clear_forgets_entities_and_keeps_the_eviction_count() {
    let mut s = ShardState::new(1);
    let b = s.bind(&count_window(600));
    see(&mut s, &b, "a", 100);
    see(&mut s, &b, "b", 100);
    s.clear();
    let st = s.stats();
    assert_eq!((st.entities, st.buckets, st.evicted), (0, 0, 1));
    let b = s.bind(&count_window(600));
    assert_eq!(see(&mut s, &b, "a", 100), 0.0);
}

#[test]
fn a_guess_resolves_to_exactly_what_the_full_lookup_finds() {
    let hash = |k: &str| crate::window::inputs::entity_hash("card", k);
    let mut s = ShardState::new(3000);
    let b = s.bind(&count_window(600));
    for k in 0..4000 {
        see(&mut s, &b, &format!("k{k}"), 100); // the first 1000 are evicted
    }
    // Both ways through `resolve`: the guess taken as it is, and a wrong guess (another
    // entity, as two entities sharing a tag give) looked up in full.
    let other = s.peek(b.groups[0], "k1000", hash("k1000"));
    for k in 0..5000 {
        let key = format!("k{k}");
        let exact = s.peek(b.groups[0], &key, hash(&key));
        assert_eq!(exact.is_some(), (1000..4000).contains(&k), "{key}");
        for guess in [s.guess(hash(&key)), other, None] {
            let found = s.resolve(guess, b.groups[0], &key, hash(&key));
            assert_eq!(found, exact.filter(|_| guess.is_some()), "{key}");
        }
    }
}
