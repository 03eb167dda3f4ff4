"""What only the local tools run (`shell` and `sandbox`), never `serve`.

- `sandbox/`: the CMS sandbox, a faithful fake of the CMS API v2.4 (signatures, validation,
  rate limits, pagination), in-process or as `python -m bot sandbox`.
- `slack_standin.py`: a local HTTP server answering Slack's Web API, which the shell (and the
  tests) point the app's `WebClient` at.
- `slack_requests.py`: signed Slack requests (slash commands, submissions, actions) as Slack
  sends them, built for the shell and the tests.
- `console/`: the terminal that plays Slack for `python -m bot shell`.

`serve` imports nothing from here; `tests/test_layout.py` proves it.
"""
