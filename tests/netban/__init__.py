"""The test session's network ban: `guard` (the socket wrappers), `session` (pytest's side),
`site` (what a child process loads); see tests/README.md."""
