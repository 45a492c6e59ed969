-- How each payout run ended (issue 8). A run is `running` while it works, `finished` once every
-- creator of the region has a decision, `interrupted` when it stopped midway: marked by the run
-- itself when it is stopped (Ctrl-C, SIGTERM, an error), or by the next run when the process
-- died (a kill, a crash). The payouts an interrupted run made stand (each is whole, with its
-- decision); running it again settles the rest. `noticed_by` is the run that reported the
-- interruption, so each one is said once. Runs recorded before this migration are taken as
-- finished (their end was not recorded).
ALTER TABLE payout_runs ADD COLUMN status VARCHAR;
ALTER TABLE payout_runs ADD COLUMN ended_at TIMESTAMPTZ;
ALTER TABLE payout_runs ADD COLUMN noticed_by VARCHAR;
UPDATE payout_runs SET status = 'finished';
