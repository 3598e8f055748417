//! [`RunStore`] on PostgreSQL: a run in one transaction (its samples in one statement over
//! arrays), the queries that read it back, and reads on one `REPEATABLE READ` snapshot.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use postgres::types::ToSql;

use super::{PgStore, quote};
use crate::history::error::{HistoryError, HistoryErrorKind};
use crate::history::metric::Metric;
use crate::history::sqlite::profiles::{deflate, inflate};
use crate::history::sqlite::{columns, to_i64, to_u64, unix_ns};
use crate::history::store::{
    FunctionKey, RunFilter, RunId, RunInfo, RunMeta, RunSamples, RunStore, Values, extract,
};
use crate::model::Report;

const RUN_COLUMNS: &str = "id, commit_sha, branch, machine, recorded_unix_ns, program, clock, \
                           profkit_version, function_count, total_ns";

fn run_from_row(row: &postgres::Row) -> RunInfo {
    let mut process: Values = vec![None; Metric::all().len()];
    for (k, (i, _)) in columns(false).into_iter().enumerate() {
        process[i] = row.get::<_, Option<i64>>(10 + k).map(to_u64);
    }
    RunInfo {
        id: RunId(row.get(0)),
        commit: row.get(1),
        branch: row.get(2),
        machine: row.get(3),
        recorded_unix_ns: row.get(4),
        program: row.get(5),
        clock: row.get(6),
        profkit_version: row.get(7),
        function_count: to_u64(row.get(8)),
        total_ns: to_u64(row.get(9)),
        process,
        labels: BTreeMap::new(),
    }
}

impl PgStore {
    /// `sql` with `{s}` replaced by the quoted schema.
    fn sql(&self, sql: &str) -> String {
        sql.replace("{s}", &quote(&self.schema))
    }
}

impl RunStore for PgStore {
    fn record(&mut self, report: &Report, meta: &RunMeta) -> Result<RunInfo, HistoryError> {
        meta.validate()?;
        // Everything that takes time happens before the transaction.
        let numbers = extract(report);
        let profile = deflate(report.to_json().as_bytes())
            .map_err(|e| self.error(HistoryErrorKind::Access(format!("deflate: {e}"))))?;
        let clock = report.clock().map(|c| c.name().to_owned());
        let recorded = unix_ns(meta.time().unwrap_or_else(SystemTime::now));
        let process_cols = columns(false);
        let sample_cols = columns(true);
        let commit = meta.commit().trim().to_owned();
        let branch = meta.branch_name().trim().to_owned();
        let machine = meta.machine_name().trim().to_owned();
        let program = report.program().map(str::to_owned);
        let version = meta.profkit_version().to_owned();
        let function_count = to_i64(numbers.functions.len() as u64);
        let total = to_i64(numbers.total_ns);

        // The functions in one order for every recorder (by key), so that two runs adding
        // the same new functions at once wait for each other instead of deadlocking.
        let mut rows: Vec<&_> = numbers.functions.iter().collect();
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        let names: Vec<&str> = rows.iter().map(|r| r.key.name()).collect();
        let files: Vec<&str> = rows.iter().map(|r| r.key.file()).collect();
        let ordinals: Vec<i64> = rows.iter().map(|r| i64::from(r.key.ordinal())).collect();
        let lines: Vec<i64> = rows.iter().map(|r| i64::from(r.line)).collect();
        let values: Vec<Vec<Option<i64>>> = sample_cols
            .iter()
            .map(|(i, _)| rows.iter().map(|r| r.values[*i].map(to_i64)).collect())
            .collect();
        let process: Vec<Option<i64>> = process_cols
            .iter()
            .map(|(i, _)| numbers.process[*i].map(to_i64))
            .collect();
        let label_keys: Vec<&str> = meta.labels().keys().map(String::as_str).collect();
        let label_values: Vec<&str> = meta.labels().values().map(String::as_str).collect();

        let insert_run = {
            let names: Vec<&str> = process_cols.iter().map(|(_, c)| *c).collect();
            let marks: Vec<String> = (0..names.len()).map(|k| format!("${}", 10 + k)).collect();
            self.sql(&format!(
                "INSERT INTO {{s}}.runs (commit_sha, branch, machine, recorded_unix_ns, program, \
                 clock, profkit_version, function_count, total_ns{}{}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9{}{}) RETURNING id",
                if names.is_empty() { "" } else { ", " },
                names.join(", "),
                if marks.is_empty() { "" } else { ", " },
                marks.join(", ")
            ))
        };
        let insert_samples = {
            let names: Vec<&str> = sample_cols.iter().map(|(_, c)| *c).collect();
            let arrays: Vec<String> = (0..names.len())
                .map(|k| format!("${}::int8[]", 6 + k))
                .collect();
            let taken: Vec<String> = names.iter().map(|c| format!("t.{c}")).collect();
            self.sql(&format!(
                "INSERT INTO {{s}}.samples (run_id, function_id, line, {cols}) \
                 SELECT $1, f.id, t.line, {taken} \
                 FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[], {arrays}) \
                 AS t(name, file, ordinal, line, {cols}) \
                 JOIN {{s}}.functions f \
                 ON f.name = t.name AND f.file = t.file AND f.ordinal = t.ordinal",
                cols = names.join(", "),
                taken = taken.join(", "),
                arrays = arrays.join(", "),
            ))
        };
        let insert_labels = self.sql(
            "INSERT INTO {s}.labels (run_id, key, value) \
             SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t(k, v)",
        );
        let insert_functions = self.sql(
            "INSERT INTO {s}.functions (name, file, ordinal) \
             SELECT n, f, o FROM unnest($1::text[], $2::text[], $3::int8[]) AS t(n, f, o) \
             ORDER BY n COLLATE \"C\", f COLLATE \"C\", o \
             ON CONFLICT (name, file, ordinal) DO NOTHING",
        );
        let insert_profile = self.sql(
            "INSERT INTO {s}.profiles (run_id, encoding, data) VALUES ($1, 'json+deflate', $2)",
        );

        let write_run = || -> Result<i64, HistoryError> {
            let mut client = self.client.lock();
            let mut tx = client.transaction().map_err(|e| self.sql_error(e))?;
            let id: i64 = {
                let mut params: Vec<&(dyn ToSql + Sync)> = vec![
                    &commit,
                    &branch,
                    &machine,
                    &recorded,
                    &program,
                    &clock,
                    &version,
                    &function_count,
                    &total,
                ];
                params.extend(process.iter().map(|v| v as &(dyn ToSql + Sync)));
                tx.query_one(&insert_run, &params)
                    .map_err(|e| self.sql_error(e))?
                    .get(0)
            };
            if !label_keys.is_empty() {
                tx.execute(&insert_labels, &[&id, &label_keys, &label_values])
                    .map_err(|e| self.sql_error(e))?;
            }
            tx.execute(&insert_functions, &[&names, &files, &ordinals])
                .map_err(|e| self.sql_error(e))?;
            let mut params: Vec<&(dyn ToSql + Sync)> = vec![&id, &names, &files, &ordinals, &lines];
            params.extend(values.iter().map(|v| v as &(dyn ToSql + Sync)));
            let written = tx
                .execute(&insert_samples, &params)
                .map_err(|e| self.sql_error(e))?;
            if written != rows.len() as u64 {
                // The transaction is rolled back when `tx` is dropped.
                return Err(self.error(HistoryErrorKind::Corrupt(format!(
                    "{written} samples written of {} functions",
                    rows.len()
                ))));
            }
            tx.execute(&insert_profile, &[&id, &profile])
                .map_err(|e| self.sql_error(e))?;
            tx.commit().map_err(|e| self.sql_error(e))?;
            Ok(id)
        };
        // A transaction that did not commit left nothing: say so.
        let id = write_run().map_err(|e| {
            if let HistoryErrorKind::Access(why) = e.kind() {
                self.error(HistoryErrorKind::Access(format!(
                    "{why}; the run was not recorded"
                )))
            } else {
                e
            }
        })?;

        Ok(RunInfo {
            id: RunId(id),
            commit,
            branch,
            machine,
            recorded_unix_ns: recorded,
            program,
            clock,
            profkit_version: version,
            function_count: numbers.functions.len() as u64,
            total_ns: numbers.total_ns,
            process: numbers.process,
            labels: meta.labels().clone(),
        })
    }

    fn runs(&self, filter: &RunFilter) -> Result<Vec<RunInfo>, HistoryError> {
        let mut conditions: Vec<String> = Vec::new();
        let mut values: Vec<String> = Vec::new();
        let mut add = |cond: &str, value: &Option<String>| {
            if let Some(v) = value {
                values.push(v.clone());
                conditions.push(cond.replace('?', &format!("${}", values.len())));
            }
        };
        add("branch = ?", &filter.branch);
        add("machine = ?", &filter.machine);
        add("commit_sha <> ?", &filter.exclude_commit);
        add(
            "left(commit_sha, char_length(?)) = ?",
            &filter.commit_prefix,
        );
        let process: Vec<&str> = columns(false).iter().map(|(_, c)| *c).collect();
        let sql = self.sql(&format!(
            "SELECT {RUN_COLUMNS}{}{} FROM {{s}}.runs{}{} ORDER BY id DESC{}",
            if process.is_empty() { "" } else { ", " },
            process.join(", "),
            if conditions.is_empty() { "" } else { " WHERE " },
            conditions.join(" AND "),
            filter
                .limit
                .map(|n| format!(" LIMIT {}", n.min(i64::MAX as usize)))
                .unwrap_or_default(),
        ));
        let params: Vec<&(dyn ToSql + Sync)> =
            values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        let mut client = self.client.lock();
        let mut runs: Vec<RunInfo> = client
            .query(&sql, &params)
            .map_err(|e| self.sql_error(e))?
            .iter()
            .map(run_from_row)
            .collect();
        if runs.is_empty() {
            return Ok(runs);
        }
        let ids: Vec<i64> = runs.iter().map(|r| r.id.0).collect();
        let mut labels: HashMap<i64, BTreeMap<String, String>> = HashMap::new();
        for row in client
            .query(
                &self.sql("SELECT run_id, key, value FROM {s}.labels WHERE run_id = ANY($1)"),
                &[&ids],
            )
            .map_err(|e| self.sql_error(e))?
        {
            labels
                .entry(row.get(0))
                .or_default()
                .insert(row.get(1), row.get(2));
        }
        for run in &mut runs {
            run.labels = labels.remove(&run.id.0).unwrap_or_default();
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
        let mut sql = self.sql(&format!(
            "SELECT s.run_id, f.name, f.file, f.ordinal, {} FROM {{s}}.samples s \
             JOIN {{s}}.functions f ON f.id = s.function_id WHERE s.run_id = ANY($1)",
            names.join(", ")
        ));
        let ids: Vec<i64> = runs.iter().map(|r| r.0).collect();
        let key_params;
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&ids];
        if let Some(key) = function {
            sql.push_str(" AND f.name = $2 AND f.file = $3 AND f.ordinal = $4");
            key_params = (
                key.name().to_owned(),
                key.file().to_owned(),
                i64::from(key.ordinal()),
            );
            params.extend([
                &key_params.0 as &(dyn ToSql + Sync),
                &key_params.1,
                &key_params.2,
            ]);
        }
        let rows = self
            .client
            .lock()
            .query(&sql, &params)
            .map_err(|e| self.sql_error(e))?;
        let mut by_run: HashMap<i64, HashMap<FunctionKey, Values>> = HashMap::new();
        for r in &rows {
            let ordinal = u32::try_from(r.get::<_, i64>(3)).unwrap_or(u32::MAX);
            let key =
                FunctionKey::with_ordinal(r.get::<_, String>(1), r.get::<_, String>(2), ordinal);
            let mut values: Values = vec![None; Metric::all().len()];
            for (k, (i, _)) in cols.iter().enumerate() {
                values[*i] = r.get::<_, Option<i64>>(4 + k).map(to_u64);
            }
            by_run.entry(r.get(0)).or_default().insert(key, values);
        }
        Ok(runs
            .iter()
            .map(|&run| RunSamples {
                run,
                // A run asked for twice gets its samples twice.
                functions: by_run.get(&run.0).cloned().unwrap_or_default(),
            })
            .collect())
    }

    fn functions(&self) -> Result<Vec<FunctionKey>, HistoryError> {
        // Byte order, as SQLite's: the same list whatever the database's collation.
        let sql = self.sql(
            "SELECT name, file, ordinal FROM {s}.functions \
             ORDER BY name COLLATE \"C\", file COLLATE \"C\", ordinal",
        );
        let rows = self
            .client
            .lock()
            .query(&sql, &[])
            .map_err(|e| self.sql_error(e))?;
        Ok(rows
            .iter()
            .map(|r| {
                let ordinal = u32::try_from(r.get::<_, i64>(2)).unwrap_or(u32::MAX);
                FunctionKey::with_ordinal(r.get::<_, String>(0), r.get::<_, String>(1), ordinal)
            })
            .collect())
    }

    fn profile(&self, run: RunId) -> Result<Report, HistoryError> {
        let sql = self.sql("SELECT encoding, data FROM {s}.profiles WHERE run_id = $1");
        let row = self
            .client
            .lock()
            .query_opt(&sql, &[&run.0])
            .map_err(|e| self.sql_error(e))?;
        let Some(row) = row else {
            return Err(self.error(HistoryErrorKind::UnknownRun(run.to_string())));
        };
        let (encoding, data): (String, Vec<u8>) = (row.get(0), row.get(1));
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

    /// One `REPEATABLE READ` transaction: every read of `read` sees the runs committed before
    /// it began, and none that land meanwhile.
    fn snapshot(
        &self,
        read: &mut dyn FnMut() -> Result<(), HistoryError>,
    ) -> Result<(), HistoryError> {
        if self.client.lock().is_closed() {
            return Err(self.error(HistoryErrorKind::Access(
                "the connection to the server was lost".to_owned(),
            )));
        }
        self.client
            .lock()
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .map_err(|e| self.sql_error(e))?;
        let result = read();
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = self
            .client
            .lock()
            .batch_execute(end)
            .map_err(|e| self.sql_error(e));
        result.and(ended)
    }
}
