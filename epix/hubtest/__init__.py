"""Testing a hub (PULL-06): the harness as the importing caller and as the adapters behind the hub.

:mod:`epix.hubtest.adapters` serves the adapters the hub under test calls (a real
HTTPS server that records what reaches it and answers as each scenario asks),
:mod:`epix.hubtest.answers` makes what they answer, :mod:`epix.hubtest.form` checks that
a request reaching them has the adapter interface's form (3.1), :mod:`epix.hubtest.relay`
compares what the caller received with what an adapter sent, and
:mod:`epix.hubtest.registry` writes the adapter registry of a simulated hub.
"""
