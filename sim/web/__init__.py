"""The live what-if page (``sim serve``): move a lever, see every probability change.

- :mod:`sim.web.state` — levers by measure, slider grids, the URL of a package, validation;
- :mod:`sim.web.compute` — evaluating a package on common random numbers, the cache, stale
  requests superseded;
- :mod:`sim.web.view` — the table rows, the joint picture and the status lines as plain data;
- :mod:`sim.web.figures` — the P(met) bars and the fan chart (Plotly);
- :mod:`sim.web.layout` — the page as Dash components;
- :mod:`sim.web.files` — scenario files and chart packs, written only under the server's folder;
- :mod:`sim.web.app` — the Dash app and its callbacks; :mod:`sim.web.server` — running it.

Nothing here is imported by ``import sim``: Dash loads only when the page is served.
"""
