"""Testing a hub (PULL-06): the harness as the importing caller and as the adapters behind the hub.

- :mod:`epix.hubtest.adapters`: the adapters the hub under test calls, a real HTTPS
  server that records what reaches it and answers as each scenario asks;
  :mod:`epix.hubtest.answers` makes what they answer (a permit, a fault, nothing in time);
- :mod:`epix.hubtest.calls`: one call to the hub (:class:`epix.transport.hub_client.HubClient`)
  and the judges of its answer (the hub's own fault, in time);
- :mod:`epix.hubtest.form`: whether a request that reached the adapters has the adapter
  interface's form (3.1); :mod:`epix.hubtest.relay`: whether an answer reached the caller unchanged;
- :mod:`epix.hubtest.rig`: one run's hub under test and adapters;
  :mod:`epix.hubtest.simulated` and :mod:`epix.hubtest.registry`: the simulated hub
  started with a registry that points at the harness's adapters.
"""
