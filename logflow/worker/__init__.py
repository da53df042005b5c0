"""The worker room: what runs. The processor (the pure stages in order), the loop that joins source and
sink and commits offsets, the processes that run loops, and their health endpoints.

May import every stage and edge; nothing imports it but the CLI, the admin tools, replay, the
analyzer and the demo.
"""
