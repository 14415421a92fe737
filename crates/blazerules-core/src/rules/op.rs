//! The condition operators (rules-reference §2): one `Op` per operator, its spelling in a
//! rules file (with every alias), its opposite under `not` (§2.18) and its family, which
//! carries what the compiled predicate needs (the comparison, the set mode, …).
//!
//! This is the only place an operator's text is read or written: the compiler, the `sql:`
//! translator and error messages all go through `Op::parse` / `Op::name`.

/// A comparison, for numeric, length, array-length, cross-field and arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Gt,
    Lt,
    Ge,
    Le,
    Eq,
    Ne,
}

impl Cmp {
    #[inline]
    pub fn test<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Gt => a > b,
            Cmp::Lt => a < b,
            Cmp::Ge => a >= b,
            Cmp::Le => a <= b,
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetMode {
    /// in, eq, contains_any, intersects: a shared member.
    Any,
    /// contains_all: every listed member present.
    All,
    /// `not contains_all` (choices.md): present and not every member.
    NotAll,
    /// not_in, neq, not_intersects: no shared member.
    NoneOf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagMode {
    Any,
    All,
    NotAll,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrOp {
    Contains,
    StartsWith,
    EndsWith,
    CiEq,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NullOp {
    Null,
    NotNull,
    Empty,
    NotEmpty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeOp {
    Before,
    After,
    WithinLast,
}

/// What kind of leaf an operator makes, and the parameter its predicate takes. The compiler
/// reads a leaf by its family (rules-reference §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// §2.5: `field` only.
    Null(NullOp),
    /// §2.3 / §2.4: numeric, or categorical eq/neq; also the comparison of an `expr` leaf.
    Compare(Cmp),
    /// §2.6: `*_field`.
    Cross(Cmp),
    /// §2.3: `between_including` (true) / `between_excluding`.
    Range { inclusive: bool },
    /// §2.4.
    Set(SetMode),
    /// §2.7.
    Str(StrOp),
    /// §2.7: `length_*`.
    Length(Cmp),
    /// §2.8.
    Regex { negate: bool },
    /// §2.13.
    Lookup { negate: bool },
    /// §2.9: `array_len_*`.
    ArrayLen(Cmp),
    /// §2.9.
    Flags(FlagMode),
    /// §2.10.
    Ip { negate: bool },
    /// §2.11: `before` / `after` / `within_last`.
    Time(TimeOp),
    /// §2.11.
    DayOfWeek,
    /// §2.11.
    TimeOfDay,
    /// §2.12: `distance_gt` (true) / `distance_lt`.
    Distance { gt: bool },
}

macro_rules! ops {
    ($($op:ident = $name:literal => $family:expr,)*) => {
        /// A condition operator.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub(crate) enum Op {
            $($op,)*
        }

        impl Op {
            /// Every operator, in declaration order.
            #[cfg(test)]
            pub const ALL: &'static [Op] = &[$(Op::$op,)*];

            /// The canonical spelling in a rules file.
            pub fn name(self) -> &'static str {
                match self {
                    $(Op::$op => $name,)*
                }
            }

            /// The family, with the predicate's parameter.
            pub fn family(self) -> Family {
                use Family::*;
                match self {
                    $(Op::$op => $family,)*
                }
            }

            fn by_name(name: &str) -> Option<Op> {
                match name {
                    $($name => Some(Op::$op),)*
                    _ => None,
                }
            }
        }
    };
}

ops! {
    IsNull = "is_null" => Null(NullOp::Null),
    IsNotNull = "is_not_null" => Null(NullOp::NotNull),
    IsEmpty = "is_empty" => Null(NullOp::Empty),
    IsNotEmpty = "is_not_empty" => Null(NullOp::NotEmpty),
    Gt = "gt" => Compare(Cmp::Gt),
    Lt = "lt" => Compare(Cmp::Lt),
    Gte = "gte" => Compare(Cmp::Ge),
    Lte = "lte" => Compare(Cmp::Le),
    Eq = "eq" => Compare(Cmp::Eq),
    Neq = "neq" => Compare(Cmp::Ne),
    GtField = "gt_field" => Cross(Cmp::Gt),
    LtField = "lt_field" => Cross(Cmp::Lt),
    GteField = "gte_field" => Cross(Cmp::Ge),
    LteField = "lte_field" => Cross(Cmp::Le),
    EqField = "eq_field" => Cross(Cmp::Eq),
    NeqField = "neq_field" => Cross(Cmp::Ne),
    BetweenIncluding = "between_including" => Range { inclusive: true },
    BetweenExcluding = "between_excluding" => Range { inclusive: false },
    In = "in" => Set(SetMode::Any),
    NotIn = "not_in" => Set(SetMode::NoneOf),
    ContainsAny = "contains_any" => Set(SetMode::Any),
    ContainsAll = "contains_all" => Set(SetMode::All),
    NotContainsAll = "not_contains_all" => Set(SetMode::NotAll),
    Intersects = "intersects" => Set(SetMode::Any),
    NotIntersects = "not_intersects" => Set(SetMode::NoneOf),
    Contains = "contains" => Str(StrOp::Contains),
    StartsWith = "starts_with" => Str(StrOp::StartsWith),
    EndsWith = "ends_with" => Str(StrOp::EndsWith),
    CiEq = "ci_eq" => Str(StrOp::CiEq),
    LengthGt = "length_gt" => Length(Cmp::Gt),
    LengthLt = "length_lt" => Length(Cmp::Lt),
    LengthEq = "length_eq" => Length(Cmp::Eq),
    Regex = "regex" => Regex { negate: false },
    NotRegex = "not_regex" => Regex { negate: true },
    InLookup = "in_lookup" => Lookup { negate: false },
    NotInLookup = "not_in_lookup" => Lookup { negate: true },
    ArrayLenGt = "array_len_gt" => ArrayLen(Cmp::Gt),
    ArrayLenLt = "array_len_lt" => ArrayLen(Cmp::Lt),
    ArrayLenGte = "array_len_gte" => ArrayLen(Cmp::Ge),
    ArrayLenLte = "array_len_lte" => ArrayLen(Cmp::Le),
    ArrayLenEq = "array_len_eq" => ArrayLen(Cmp::Eq),
    ArrayLenNeq = "array_len_neq" => ArrayLen(Cmp::Ne),
    FlagsAny = "flags_any" => Flags(FlagMode::Any),
    FlagsAll = "flags_all" => Flags(FlagMode::All),
    FlagsNotAll = "flags_not_all" => Flags(FlagMode::NotAll),
    FlagsNone = "flags_none" => Flags(FlagMode::None),
    IpInSubnet = "ip_in_subnet" => Ip { negate: false },
    IpNotInSubnet = "ip_not_in_subnet" => Ip { negate: true },
    DayOfWeekIn = "day_of_week_in" => DayOfWeek,
    TimeOfDayBetween = "time_of_day_between" => TimeOfDay,
    Before = "before" => Time(TimeOp::Before),
    After = "after" => Time(TimeOp::After),
    WithinLast = "within_last" => Time(TimeOp::WithinLast),
    DistanceGt = "distance_gt" => Distance { gt: true },
    DistanceLt = "distance_lt" => Distance { gt: false },
}

/// Other spellings BlazeRules accepts (§2.1).
const ALIASES: &[(&str, Op)] = &[
    ("is_none", Op::IsNull),
    ("not_null", Op::IsNotNull),
    ("is_not_none", Op::IsNotNull),
    ("not_empty", Op::IsNotEmpty),
    ("in_subnet", Op::IpInSubnet),
    ("not_in_subnet", Op::IpNotInSubnet),
    ("geo_distance_gt", Op::DistanceGt),
    ("geo_distance_lt", Op::DistanceLt),
];

impl Op {
    /// The operator a rules file spells `text` (any case, any alias).
    pub fn parse(text: &str) -> Option<Op> {
        let t = text.to_ascii_lowercase();
        Op::by_name(&t).or_else(|| ALIASES.iter().find(|(a, _)| *a == t).map(|(_, op)| *op))
    }

    /// The operator `not` turns this one into (§2.18, with choices.md for contains_all and
    /// flags_all); None where `not` is a plain complement.
    pub fn negated(self) -> Option<Op> {
        use Op::*;
        Some(match self {
            Gt => Lte,
            Lte => Gt,
            Gte => Lt,
            Lt => Gte,
            Eq => Neq,
            Neq => Eq,
            In => NotIn,
            NotIn => In,
            IsNull => IsNotNull,
            IsNotNull => IsNull,
            IsEmpty => IsNotEmpty,
            IsNotEmpty => IsEmpty,
            GtField => LteField,
            LteField => GtField,
            GteField => LtField,
            LtField => GteField,
            EqField => NeqField,
            NeqField => EqField,
            ContainsAny | Intersects => NotIntersects,
            NotIntersects => Intersects,
            ContainsAll => NotContainsAll,
            FlagsAny => FlagsNone,
            FlagsNone => FlagsAny,
            FlagsAll => FlagsNotAll,
            IpInSubnet => IpNotInSubnet,
            IpNotInSubnet => IpInSubnet,
            Regex => NotRegex,
            NotRegex => Regex,
            InLookup => NotInLookup,
            NotInLookup => InLookup,
            _ => return None,
        })
    }

    /// The comparison of a comparison or cross-field operator: what an arithmetic (`expr`)
    /// or cross-field leaf compares with, whichever of the two spellings it uses.
    pub fn comparison(self) -> Option<Cmp> {
        match self.family() {
            Family::Compare(c) | Family::Cross(c) => Some(c),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_parse() {
        for &op in Op::ALL {
            assert_eq!(Op::parse(op.name()), Some(op));
            assert_eq!(Op::parse(&op.name().to_ascii_uppercase()), Some(op));
        }
        for &(alias, op) in ALIASES {
            assert_eq!(Op::parse(alias), Some(op));
        }
        assert_eq!(Op::parse("array_len_foo"), None);
        assert_eq!(Op::parse("length_gte"), None);
    }

    #[test]
    fn negation_is_an_involution_except_the_one_way_flips() {
        for &op in Op::ALL {
            if let Some(n) = op.negated() {
                let back = n.negated();
                let one_way = matches!(op, Op::ContainsAny | Op::ContainsAll | Op::FlagsAll);
                assert!(one_way || back == Some(op), "{op:?}");
            }
        }
    }
}
