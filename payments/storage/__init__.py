"""Storage: the SQL schema, its migrations, the unit of work and the queries."""
