//! Storage forms for the rulebook types that the rulebook does not make
//! readable back (it only serialises them): ids as plain strings, deadline
//! kinds by their `rules.toml` key, time limits as editors write them.
//!
//! A module of its own so that both [`crate::lifecycle`] and
//! [`crate::notice`] use it without either using the other.

macro_rules! id_as_string {
    ($module:ident, $ty:ty) => {
        pub mod $module {
            use serde::{Deserialize, Deserializer, Serializer};

            pub fn serialize<S: Serializer>(id: &$ty, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(id.as_str())
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                String::deserialize(d).map(<$ty>::new)
            }
        }
    };
}

id_as_string!(case_type_id, crate::rules::CaseTypeId);
id_as_string!(category_id, crate::rules::CategoryId);
id_as_string!(severity_id, crate::rules::SeverityId);
id_as_string!(department_id, crate::rules::DepartmentId);

pub mod deadline_kind {
    use crate::rules::DeadlineKind;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(kind: &DeadlineKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(kind.key())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DeadlineKind, D::Error> {
        let key = String::deserialize(d)?;
        DeadlineKind::ALL
            .into_iter()
            .find(|k| k.key() == key)
            .ok_or_else(|| D::Error::custom(format!("`{key}` is not a deadline kind")))
    }
}

pub mod time_limit {
    use crate::time_limit::TimeLimit;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(limit: &TimeLimit, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(limit)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TimeLimit, D::Error> {
        String::deserialize(d)?.parse().map_err(D::Error::custom)
    }
}
