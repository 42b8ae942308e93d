"""Everything that talks to Label Studio or runs it.

`settings` (URL and token from the environment or `.env`), `server` (a local server in its own
virtualenv), `client` (one client, one error mapping, project and export calls), `tasks` (task
payloads), `push` (bulk import, never duplicated) and `pull` (export -> annotations/ via the store).
"""
