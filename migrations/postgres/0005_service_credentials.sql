-- A registration may own a service account (in the system tenant): its
-- client id. Tokens it gets carry one of the registration's dependencies as
-- audience; deregistering the service deletes the account.
ALTER TABLE services ADD COLUMN service_account TEXT;
