"""The simulated EPIX hub (profile section 3.2): the hub interface as wash_out served it,
relaying each call to the adapter of the issuing country (section 3.1).

:func:`epix.hub.running.start_hub` starts one on a real HTTPS server; ``epix simulate
--role hub`` serves one from the command line."""
