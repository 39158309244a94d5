DROP INDEX entries_due;
DROP INDEX entries_lease;
DROP INDEX entries_finished;
CREATE INDEX entries_due ON entries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX entries_lease ON entries (lease_until) WHERE state = 'in_progress';
CREATE INDEX entries_done ON entries (updated_at) WHERE state = 'done';
CREATE INDEX entries_dead ON entries (updated_at) WHERE state = 'dead';
