"""A real clinic's first day: its details, owner, team, services, hours and room, from a spec.

``parse.parse_spec`` turns a plain mapping (a TOML or JSON file, or the answers typed at
``manage.py setup_clinic``) into a checked ``spec.ClinicSpec``, naming every problem at once;
``apply.apply_spec`` writes it in one transaction. Running it again updates what it made
(matched by email, service name and room name) instead of adding copies. No demo data, no
password ever printed: the team choose theirs from an invitation email, and enrol their
authenticator app at first sign-in (``portal.team_security``).

- ``spec``: the checked spec's shape, ``SetupError`` and the ``SetupReport``.
- ``reader``: reads values while collecting every problem with where it is.
- ``hours``: weekly hours as people write them ("Mon-Fri 09:00-12:30, 13:30-17:30").
- ``parse``: the whole spec, section by section.
- ``team``: the owner's and practitioners' accounts, roles, hours and invitations.
- ``apply``: writing the clinic, team, services and room in one transaction.
"""
