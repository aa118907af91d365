"""The verification workflow: accounts and roles, the states of a city's round, the verifier's decisions.

A round that is not published lives only in a working store of its own (rounds.py), which the public read
path (the endpoint, pages, /taxonomy, publish, dumps) never opens; publishing copies it into the public
store through the same validation and atomic write as `import`. Every write path asks access.py first.
Accounts live in SQLite (accounts.py), never in RDF.
May import: `submissions`, `catalogue` and the foundations; the server and the CLI import it.
"""
