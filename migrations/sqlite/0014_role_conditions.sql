-- A custom role's conditional permissions as JSON ([{permission, when}]):
-- granted only where an authorization check's context satisfies `when`.
ALTER TABLE roles ADD COLUMN conditions TEXT NOT NULL DEFAULT '[]';
