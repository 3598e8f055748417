//! [`RunStore`] on SQLite: a run recorded in one transaction, and the queries that read it back.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::profiles::{deflate, inflate};
use super::{Store, columns, sql_error, to_i64, to_u64, unix_ns};
use crate::history::error::{HistoryError, HistoryErrorKind};
use crate::history::metric::Metric;
use crate::history::store::{
    FunctionKey, RunFilter, RunId, RunInfo, RunMeta, RunSamples, RunStore, Values, extract,
};
use crate::model::Report;

const RUN_COLUMNS: &str = "id, commit_sha, branch, machine, recorded_unix_ns, program, clock, \
                           profkit_version, function_count, total_ns";

impl Store {
    fn run_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RunInfo> {
        let mut process: Values = vec![None; Metric::all().len()];
        for (k, (i, _)) in columns(false).into_iter().enumerate() {
            process[i] = row.get::<_, Option<i64>>(10 + k)?.map(to_u64);
        }
        Ok(RunInfo {
            id: RunId(row.get(0)?),
            commit: row.get(1)?,
            branch: row.get(2)?,
            machine: row.get(3)?,
            recorded_unix_ns: row.get(4)?,
            program: row.get(5)?,
            clock: row.get(6)?,
            profkit_version: row.get(7)?,
            function_count: to_u64(row.get(8)?),
            total_ns: to_u64(row.get(9)?),
            process,
            labels: BTreeMap::new(),
        })
    }

    fn labels_of(&self, run: RunId) -> Result<BTreeMap<String, String>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, value FROM labels WHERE run_id = ?1")
            .map_err(|e| self.err(e))?;
        stmt.query_map([run.0], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }
}

impl RunStore for Store {
    fn record(&mut self, report: &Report, meta: &RunMeta) -> Result<RunInfo, HistoryError> {
        meta.validate()?;
        // Everything that takes time happens before the write lock is taken.
        let numbers = extract(report);
        let profile = deflate(report.to_json().as_bytes())
            .map_err(|e| self.error(HistoryErrorKind::Access(format!("deflate: {e}"))))?;
        let clock = report.clock().map(|c| c.name().to_owned());
        let recorded = unix_ns(meta.time().unwrap_or_else(SystemTime::now));
        let process_cols = columns(false);
        let sample_cols = columns(true);
        let path = self.path.clone();
        let err = |e| sql_error(path.as_deref(), e);

        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let id = {
            let names: Vec<&str> = process_cols.iter().map(|(_, c)| *c).collect();
            let marks: Vec<String> = (0..names.len()).map(|k| format!("?{}", 10 + k)).collect();
            let sql = format!(
                "INSERT INTO runs (commit_sha, branch, machine, recorded_unix_ns, program, clock, \
                 profkit_version, function_count, total_ns{}{}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9{}{})",
                if names.is_empty() { "" } else { ", " },
                names.join(", "),
                if marks.is_empty() { "" } else { ", " },
                marks.join(", ")
            );
            let mut values: Vec<Box<dyn rusqlite::ToSql>> = vec![
                Box::new(meta.commit().trim().to_owned()),
                Box::new(meta.branch_name().trim().to_owned()),
                Box::new(meta.machine_name().trim().to_owned()),
                Box::new(recorded),
                Box::new(report.program().map(str::to_owned)),
                Box::new(clock.clone()),
                Box::new(meta.profkit_version().to_owned()),
                Box::new(to_i64(numbers.functions.len() as u64)),
                Box::new(to_i64(numbers.total_ns)),
            ];
            for (i, _) in &process_cols {
                values.push(Box::new(numbers.process[*i].map(to_i64)));
            }
            tx.execute(&sql, rusqlite::params_from_iter(values.iter()))
                .map_err(err)?;
            tx.last_insert_rowid()
        };
        {
            let mut label = tx
                .prepare_cached("INSERT INTO labels (run_id, key, value) VALUES (?1, ?2, ?3)")
                .map_err(err)?;
            for (k, v) in meta.labels() {
                label.execute(params![id, k, v]).map_err(err)?;
            }
            let mut add_function = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO functions (name, file, ordinal) VALUES (?1, ?2, ?3)",
                )
                .map_err(err)?;
            let mut function_id = tx
                .prepare_cached(
                    "SELECT id FROM functions WHERE name = ?1 AND file = ?2 AND ordinal = ?3",
                )
                .map_err(err)?;
            let names: Vec<&str> = sample_cols.iter().map(|(_, c)| *c).collect();
            let marks: Vec<String> = (0..names.len()).map(|k| format!("?{}", 4 + k)).collect();
            let mut sample = tx
                .prepare(&format!(
                    "INSERT INTO samples (run_id, function_id, line, {}) VALUES (?1, ?2, ?3, {})",
                    names.join(", "),
                    marks.join(", ")
                ))
                .map_err(err)?;
            for row in &numbers.functions {
                let key = &row.key;
                let (name, file, ordinal) = (key.name(), key.file(), key.ordinal());
                add_function
                    .execute(params![name, file, ordinal])
                    .map_err(err)?;
                let fid: i64 = function_id
                    .query_row(params![name, file, ordinal], |r| r.get(0))
                    .map_err(err)?;
                let mut values: Vec<Option<i64>> = vec![Some(id), Some(fid), Some(row.line.into())];
                values.extend(sample_cols.iter().map(|(i, _)| row.values[*i].map(to_i64)));
                sample
                    .execute(rusqlite::params_from_iter(values.iter()))
                    .map_err(err)?;
            }
            tx.execute(
                "INSERT INTO profiles (run_id, encoding, data) VALUES (?1, 'json+deflate', ?2)",
                params![id, profile],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;

        Ok(RunInfo {
            id: RunId(id),
            commit: meta.commit().trim().to_owned(),
            branch: meta.branch_name().trim().to_owned(),
            machine: meta.machine_name().trim().to_owned(),
            recorded_unix_ns: recorded,
            program: report.program().map(str::to_owned),
            clock,
            profkit_version: meta.profkit_version().to_owned(),
            function_count: numbers.functions.len() as u64,
            total_ns: numbers.total_ns,
            process: numbers.process,
            labels: meta.labels().clone(),
        })
    }

    fn runs(&self, filter: &RunFilter) -> Result<Vec<RunInfo>, HistoryError> {
        let mut conditions: Vec<String> = Vec::new();
        let mut values: Vec<String> = Vec::new();
        let mut add = |sql: String, value: &Option<String>| {
            if let Some(v) = value {
                conditions.push(sql);
                values.push(v.clone());
            }
        };
        add("branch = ?".into(), &filter.branch);
        add("machine = ?".into(), &filter.machine);
        add("commit_sha != ?".into(), &filter.exclude_commit);
        if let Some(p) = &filter.commit_prefix {
            add(
                format!("substr(commit_sha, 1, {}) = ?", p.chars().count()),
                &filter.commit_prefix,
            );
        }
        let process: Vec<&str> = columns(false).iter().map(|(_, c)| *c).collect();
        let sql = format!(
            "SELECT {RUN_COLUMNS}{}{} FROM runs{}{} ORDER BY id DESC{}",
            if process.is_empty() { "" } else { ", " },
            process.join(", "),
            if conditions.is_empty() { "" } else { " WHERE " },
            conditions.join(" AND "),
            filter
                .limit
                .map(|n| format!(" LIMIT {}", n.min(i64::MAX as usize)))
                .unwrap_or_default(),
        );
        let mut runs: Vec<RunInfo> = {
            let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
            stmt.query_map(
                rusqlite::params_from_iter(values.iter()),
                Store::run_from_row,
            )
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?
        };
        for run in &mut runs {
            run.labels = self.labels_of(run.id)?;
        }
        Ok(runs)
    }

    fn samples(
        &self,
        runs: &[RunId],
        function: Option<&FunctionKey>,
    ) -> Result<Vec<RunSamples>, HistoryError> {
        let cols = columns(true);
        let names: Vec<String> = cols.iter().map(|(_, c)| format!("s.{c}")).collect();
        let base = format!(
            "SELECT f.name, f.file, f.ordinal, {} FROM samples s JOIN functions f ON f.id = \
             s.function_id WHERE s.run_id = ?1",
            names.join(", ")
        );
        let function_id: Option<i64> = match function {
            None => None,
            Some(key) => {
                let id = self
                    .conn
                    .query_row(
                        "SELECT id FROM functions WHERE name = ?1 AND file = ?2 AND ordinal = ?3",
                        params![key.name(), key.file(), key.ordinal()],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(|e| self.err(e))?;
                match id {
                    Some(id) => Some(id),
                    // A function no run has: every run lacks it.
                    None => {
                        return Ok(runs
                            .iter()
                            .map(|&run| RunSamples {
                                run,
                                functions: HashMap::new(),
                            })
                            .collect());
                    }
                }
            }
        };
        let sql = match function_id {
            Some(_) => format!("{base} AND s.function_id = ?2"),
            None => base,
        };
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(runs.len());
        for &run in runs {
            let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(FunctionKey, Values)> {
                let key = FunctionKey::with_ordinal(
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                );
                let mut values: Values = vec![None; Metric::all().len()];
                for (k, (i, _)) in cols.iter().enumerate() {
                    values[*i] = r.get::<_, Option<i64>>(3 + k)?.map(to_u64);
                }
                Ok((key, values))
            };
            let rows: HashMap<FunctionKey, Values> = match function_id {
                Some(fid) => stmt.query_map(params![run.0, fid], read),
                None => stmt.query_map(params![run.0], read),
            }
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
            out.push(RunSamples {
                run,
                functions: rows,
            });
        }
        Ok(out)
    }

    fn functions(&self) -> Result<Vec<FunctionKey>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT name, file, ordinal FROM functions ORDER BY name, file, ordinal",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| {
            Ok(FunctionKey::with_ordinal(
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
            ))
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// A read transaction: with WAL, one snapshot of the file for all of `read`.
    fn snapshot(
        &self,
        read: &mut dyn FnMut() -> Result<(), HistoryError>,
    ) -> Result<(), HistoryError> {
        if !self.conn.is_autocommit() {
            return read();
        }
        self.conn
            .execute_batch("BEGIN DEFERRED")
            .map_err(|e| self.err(e))?;
        let result = read();
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = self.conn.execute_batch(end).map_err(|e| self.err(e));
        result.and(ended)
    }

    fn profile(&self, run: RunId) -> Result<Report, HistoryError> {
        let row: Option<(String, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT encoding, data FROM profiles WHERE run_id = ?1",
                [run.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((encoding, data)) = row else {
            return Err(self.error(HistoryErrorKind::UnknownRun(run.to_string())));
        };
        if encoding != "json+deflate" {
            return Err(self.error(HistoryErrorKind::Corrupt(format!(
                "run {run}: its profile is stored as {encoding:?}, which this profkit cannot read"
            ))));
        }
        let json = inflate(&data).map_err(|e| {
            self.error(HistoryErrorKind::Corrupt(format!(
                "run {run}: its profile does not inflate: {e}"
            )))
        })?;
        Report::from_json_bytes(&json).map_err(|e| self.error(HistoryErrorKind::Profile(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checks_queries_use_indexes() {
        let store = Store::in_memory().unwrap();
        let plan = |sql: &str| -> String {
            let mut stmt = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let rows: Vec<String> = stmt
                .query_map([], |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            rows.join("; ")
        };
        let window = plan(
            "SELECT * FROM runs WHERE branch = 'main' AND machine = 'ci' ORDER BY id DESC LIMIT 21",
        );
        assert!(
            window.contains("INDEX runs_by_series (branch=? AND machine=?)"),
            "{window}"
        );
        assert!(!window.contains("TEMP B-TREE"), "{window}");
        let samples = plan(
            "SELECT f.name FROM samples s JOIN functions f ON f.id = s.function_id WHERE s.run_id = 3",
        );
        assert!(
            samples.contains("USING PRIMARY KEY (run_id=?)"),
            "{samples}"
        );
        let one = plan("SELECT * FROM samples WHERE run_id = 3 AND function_id = 4");
        assert!(
            one.contains("USING PRIMARY KEY (run_id=? AND function_id=?)"),
            "{one}"
        );
    }
}
