use super::*;

fn d(val: f64) -> Delta {
    Delta { val, cnt: 1.0 }
}

/// Reads then adds, as the window stage does for one record at second `sec`.
fn step(s: &mut Series, sec: i64, dur: i64, f: WinFn, add: Delta) -> f64 {
    s.advance(sec, dur, f);
    let v = s.value(f);
    s.add(sec, add, f);
    v
}

#[test]
fn count_sees_only_earlier_records() {
    let mut s = Series::default();
    let f = WinFn::Count;
    let seen: Vec<f64> = (0..4).map(|_| step(&mut s, 100, 60, f, d(1.0))).collect();
    assert_eq!(seen, [0.0, 1.0, 2.0, 3.0]);
    assert_eq!(s.len(), 1, "one second, one bucket");
}

#[test]
fn buckets_expire_at_now_minus_duration() {
    let (f, dur) = (WinFn::Count, 10);
    let mut s = Series::default();
    step(&mut s, 100, dur, f, d(1.0));
    step(&mut s, 105, dur, f, d(1.0));
    // At 109 both are in (109 - 10, 109].
    assert_eq!(step(&mut s, 109, dur, f, d(1.0)), 2.0);
    // At 110 the bucket of second 100 is dropped (100 <= 110 - 10).
    assert_eq!(s.advance(110, dur, f), 1);
    assert_eq!(s.value(f), 2.0);
    // At 115, second 105 goes too; 109 stays.
    assert_eq!(s.advance(115, dur, f), 1);
    assert_eq!((s.value(f), s.len()), (1.0, 1));
    // A whole window after the last advance, everything is cleared exactly.
    assert_eq!(s.advance(125, dur, f), 1);
    assert_eq!((s.value(f), s.len()), (0.0, 0));
}

#[test]
fn the_clock_never_goes_back() {
    let (f, dur) = (WinFn::Sum, 10);
    let mut s = Series::default();
    step(&mut s, 100, dur, f, d(2.0));
    assert_eq!(s.advance(50, dur, f), 0);
    assert_eq!((s.value(f), s.last()), (2.0, Some(100)));
}

#[test]
fn each_function() {
    let vals = [3.0, -1.0, 4.0, 1.5];
    let run = |f: WinFn| -> Vec<f64> {
        let mut s = Series::default();
        let mut seen: Vec<f64> = vals
            .iter()
            .enumerate()
            .map(|(i, &v)| step(&mut s, 100 + i as i64, 60, f, d(v)))
            .collect();
        seen.push(s.value(f));
        seen
    };
    assert_eq!(run(WinFn::Sum), [0.0, 3.0, 2.0, 6.0, 7.5]);
    assert_eq!(run(WinFn::Avg), [0.0, 3.0, 1.0, 2.0, 7.5 / 4.0]);
    assert_eq!(run(WinFn::Min), [0.0, 3.0, -1.0, -1.0, -1.0]);
    assert_eq!(run(WinFn::Max), [0.0, 3.0, 3.0, 4.0, 4.0]);
}

#[test]
fn ratio_divides_the_sums_and_is_zero_without_a_positive_denominator() {
    let f = WinFn::Ratio;
    let mut s = Series::default();
    let steps = [(1.5, 2.0), (2.5, 1.0), (4.0, 0.0), (1.0, -10.0)];
    let seen: Vec<f64> = steps
        .iter()
        .map(|&(val, cnt)| step(&mut s, 100, 60, f, Delta { val, cnt }))
        .collect();
    assert_eq!(seen, [0.0, 0.75, 4.0 / 3.0, 8.0 / 3.0]);
    assert_eq!(s.value(f), 0.0, "denominator sum -7");
}

#[test]
fn min_and_max_forget_expired_extremes() {
    let (dur, mut lo, mut hi) = (10, Series::default(), Series::default());
    for (sec, v) in [(100, 1.0), (104, 9.0), (108, 5.0)] {
        step(&mut lo, sec, dur, WinFn::Min, d(v));
        step(&mut hi, sec, dur, WinFn::Max, d(v));
    }
    lo.advance(111, dur, WinFn::Min);
    hi.advance(115, dur, WinFn::Max);
    assert_eq!(lo.value(WinFn::Min), 5.0, "1.0 at second 100 expired");
    assert_eq!(hi.value(WinFn::Max), 5.0, "9.0 at second 104 expired");
}

#[test]
fn a_late_second_goes_in_its_place() {
    let (f, dur) = (WinFn::Count, 10);
    let mut s = Series::default();
    step(&mut s, 100, dur, f, d(1.0));
    step(&mut s, 108, dur, f, d(1.0));
    // A record of second 103 arriving after 108 reads the window as of 108, and adds at 103.
    s.advance(108, dur, f);
    assert_eq!(s.value(f), 2.0);
    assert_eq!(s.add(103, d(1.0), f), 1);
    s.advance(112, dur, f);
    assert_eq!(s.value(f), 2.0, "100 expired; 103 and 108 remain");
    s.advance(113, dur, f);
    assert_eq!(s.value(f), 1.0, "103 expired at 113");
}

#[test]
fn a_second_already_kept_joins_its_bucket_newest_or_not() {
    let f = WinFn::Max;
    let mut s = Series::default();
    for (sec, val) in [(10, 1.0), (20, 5.0), (30, 2.0)] {
        assert_eq!(s.add(sec, d(val), f), 1);
    }
    assert_eq!(s.add(30, d(7.0), f), 0, "the newest second");
    assert_eq!(s.add(20, d(6.0), f), 0, "an older second");
    assert_eq!(s.add(25, d(3.0), f), 1, "a new older second");
    let kept: Vec<(i64, f64, f64)> = s.iter().map(|b| (b.sec, b.val, b.cnt)).collect();
    assert_eq!(
        kept,
        [
            (10, 1.0, 1.0),
            (20, 6.0, 2.0),
            (25, 3.0, 1.0),
            (30, 7.0, 2.0)
        ]
    );
}

#[test]
fn a_late_second_older_than_every_bucket_expires_first() {
    // The series keeps its oldest second beside the buckets: a late record that becomes the
    // oldest bucket must be the first to expire, with its value subtracted.
    let (f, dur) = (WinFn::Sum, 10);
    let mut s = Series::default();
    for sec in [100, 101, 102] {
        step(&mut s, sec, dur, f, d(1.0));
    }
    s.advance(102, dur, f);
    assert_eq!(s.add(95, d(5.0), f), 1, "late, and older than every bucket");
    s.advance(104, dur, f);
    assert_eq!(s.value(f), 8.0, "95 is still within (94, 104]");
    s.advance(105, dur, f);
    assert_eq!(s.value(f), 3.0, "95 expired at 105, before 100");
    s.advance(111, dur, f);
    assert_eq!(s.value(f), 1.0, "100 and 101 expired; 102 remains");
    s.advance(112, dur, f);
    assert_eq!((s.value(f), s.len()), (0.0, 0));
    step(&mut s, 120, dur, f, d(2.0));
    s.advance(125, dur, f);
    assert_eq!(s.value(f), 2.0, "an emptied series takes new buckets");
    assert_eq!(std::mem::size_of::<Series>(), 64, "one cache line");
}
