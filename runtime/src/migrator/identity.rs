//! Which objects a run has created so far, and what the pre-existing tables it renamed were
//! called before the run. Consent is about data, and data belongs to a table, not to a name:
//! `ALTER TABLE t RENAME TO x` followed by an acknowledged `DROP TABLE x` drops `t`'s rows, and
//! a name created earlier in the run may have been reused by a renamed table since.

use crate::migrations::{Dialect, Migration, ObjectKind, ObjectName};

/// The run's knowledge of identities, advanced one migration at a time in plan order.
#[derive(Debug, Clone)]
pub(super) struct Identities {
    dialect: Dialect,
    /// Objects created earlier in the run, by their current names.
    created: Vec<ObjectName>,
    /// Pre-existing tables and columns renamed earlier in the run: `(name now, name before the
    /// run)`.
    renamed: Vec<(ObjectName, ObjectName)>,
}

impl Identities {
    pub(super) fn new(dialect: Dialect) -> Identities {
        Identities {
            dialect,
            created: Vec::new(),
            renamed: Vec::new(),
        }
    }

    /// Names compare exactly on PostgreSQL and MySQL (where table names are case-sensitive on
    /// most servers: a `T` created in the run must not waive consent for a `t` that existed),
    /// case-insensitively on SQLite. The analysis names an object with the spelling it was
    /// created with, so the same table always compares equal.
    fn eq(&self, a: &str, b: &str) -> bool {
        match self.dialect {
            Dialect::Postgres | Dialect::Mysql => a == b,
            Dialect::Sqlite => a.eq_ignore_ascii_case(b),
        }
    }

    fn eq_opt(&self, a: Option<&str>, b: Option<&str>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => self.eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }

    /// Whether `a` and `b` are in the same schema with the same (table) name.
    fn same_name(&self, a: &ObjectName, b: &ObjectName) -> bool {
        self.eq_opt(a.schema(), b.schema()) && self.eq(a.name(), b.name())
    }

    /// The name `object` has in the database before the run, or `None` when the run creates
    /// it (nothing that existed before the run can be lost with it).
    pub(super) fn before_run(&self, object: &ObjectName) -> Option<ObjectName> {
        if self.created.iter().any(|c| self.covers(c, object)) {
            return None;
        }
        if object.kind() == ObjectKind::Column
            && let Some((_, before)) = self.renamed.iter().find(|(now, _)| {
                now.kind() == ObjectKind::Column
                    && self.same_name(now, object)
                    && self.eq_opt(now.column(), object.column())
            })
        {
            return Some(before.clone());
        }
        if matches!(object.kind(), ObjectKind::Table | ObjectKind::Column)
            && let Some((_, before)) = self
                .renamed
                .iter()
                .find(|(now, _)| now.kind() == ObjectKind::Table && self.same_name(now, object))
        {
            let mut moved = object.clone();
            moved.schema = before.schema.clone();
            moved.name = before.name.clone();
            return Some(moved);
        }
        Some(object.clone())
    }

    /// Records what `m` did to identities: its renames, then its creations.
    pub(super) fn after(&mut self, m: &Migration) {
        let moves: Vec<(ObjectName, Option<ObjectName>)> = m
            .renames()
            .iter()
            .map(|(to, from)| (to.clone(), self.before_run(from)))
            .collect();
        for (to, from) in m.renames() {
            self.forget(to);
            self.forget(from);
        }
        for (to, before) in moves {
            match before {
                None => self.created.push(to),
                Some(before) => self.renamed.push((to, before)),
            }
        }
        for created in m.creates() {
            self.forget(created);
            self.created.push(created.clone());
        }
    }

    /// A name now refers to something else: forget what it referred to (a table's name takes
    /// its columns with it).
    fn forget(&mut self, name: &ObjectName) {
        let dialect = self.dialect;
        let probe = Identities {
            dialect,
            created: Vec::new(),
            renamed: Vec::new(),
        };
        let hit = |o: &ObjectName| {
            probe.same_name(o, name)
                && match name.kind() {
                    ObjectKind::Column => probe.eq_opt(o.column(), name.column()),
                    ObjectKind::Table => true,
                    kind => o.kind() == kind,
                }
        };
        self.created.retain(|c| !hit(c));
        self.renamed.retain(|(now, _)| !hit(now));
    }

    /// Whether `created` (made earlier in this run) covers `object`: the same object, its
    /// table, or its schema.
    fn covers(&self, created: &ObjectName, object: &ObjectName) -> bool {
        if created.kind() == ObjectKind::Schema {
            return object.schema().is_some_and(|s| self.eq(s, created.name()))
                || (object.kind() == ObjectKind::Schema && self.eq(object.name(), created.name()));
        }
        if !self.same_name(created, object) {
            return false;
        }
        match (created.kind(), object.kind()) {
            (ObjectKind::Column, ObjectKind::Column) => {
                self.eq_opt(created.column(), object.column())
            }
            (ObjectKind::Table, ObjectKind::Column) => true,
            (ObjectKind::Type, ObjectKind::Type) => true,
            (a, b) => a == b && created.column().is_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::migrations::{MigrationState, ObjectName};

    fn table(name: &'static str) -> ObjectName {
        ObjectName {
            kind: ObjectKind::Table,
            schema: None,
            name: Cow::Borrowed(name),
            column: None,
        }
    }

    fn migration(creates: Vec<ObjectName>, renames: Vec<(ObjectName, ObjectName)>) -> Migration {
        Migration {
            version: 1,
            description: Cow::Borrowed("m"),
            path: Cow::Borrowed("m.sql"),
            sql: Cow::Borrowed(""),
            checksum: [0; 32],
            state: MigrationState::Locked,
            transactional: true,
            ranges: Cow::Borrowed(&[]),
            hazards: Cow::Borrowed(&[]),
            creates: Cow::Owned(creates),
            renames: Cow::Owned(renames),
        }
    }

    #[test]
    fn a_reused_name_is_not_created_in_the_run() {
        let mut ids = Identities::new(Dialect::Postgres);
        // 0002 creates x; 0003 drops x and renames t to x.
        ids.after(&migration(vec![table("x")], vec![]));
        assert_eq!(ids.before_run(&table("x")), None);
        ids.after(&migration(vec![], vec![(table("x"), table("t"))]));
        assert_eq!(ids.before_run(&table("x")), Some(table("t")));
    }

    #[test]
    fn renames_chain_back_to_the_name_before_the_run() {
        let mut ids = Identities::new(Dialect::Sqlite);
        ids.after(&migration(vec![], vec![(table("b"), table("a"))]));
        // (SQLite compares names case-insensitively.)
        ids.after(&migration(vec![], vec![(table("C"), table("B"))]));
        assert_eq!(ids.before_run(&table("c")), Some(table("a")));
        // A table created in the run and renamed stays created.
        ids.after(&migration(vec![table("n")], vec![]));
        ids.after(&migration(vec![], vec![(table("m"), table("n"))]));
        assert_eq!(ids.before_run(&table("m")), None);
        assert_eq!(ids.before_run(&table("n")), Some(table("n")));
    }
}
