"""The admin room: one-off operator tools around the running pipeline.

Owns `logflow setup` (index templates, ILM), `retention`, Kibana saved objects, `ship` and
`parsers check`. May import every stage, edge and the worker's processor.
"""
