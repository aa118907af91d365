"""`build`: the whole registry from the project's own files (ontology, catalogue, SDG concepts, the taxonomy,
the shipped benchmark sets and the seed submissions), staged and checked, then written in one atomic step.

It sits above every room whose graphs it stages. Owns: `seeds`.
May import: `scoring`, `taxonomy`, `submissions`, `catalogue` and the foundations; not `server` or `cli`.
"""
