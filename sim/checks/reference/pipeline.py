"""Agent-level discrete-event model of the high-tech firm pipeline (SimPy), one replication.

The slow, obviously-correct oracle for ``sim/models/firms.py``, written from the specification
in ``docs/model.md`` ("Firms — the high-tech pipeline"). Every firm is a SimPy process and
every annual rule of the specification is an event on a calendar:

- time is measured in years; year ``t`` is the interval ``[t, t+1)``;
- tech SMEs register at the arrival times of a Poisson process whose yearly intensity is
  gamma-distributed (a gamma-mixed Poisson count is the negative binomial of the spec) during
  the first three quarters, ``[t, t+0.75)``, and file for the next review batch;
- review batches sit at ``t+0.25`` (spring) and ``t+0.75`` (autumn); each reviews the
  applications filed since the previous batch;
- certificates are published, and dated, at the end of the year ``t+1``: the year's approved
  first applications, the project certifications due that year and the approved renewals;
  a certificate dated ``c`` runs out at the publication of year ``c+3`` and its holder files its
  renewal in a batch of year ``c+3``;
- a certified firm exits (closes, moves away, loses its certificate) at an exponential time
  counted from its first publication, with rate ``−ln(1−h)``, so that it exits within any
  certificate year it begins with probability ``h``; an approval is void if its firm exits
  before the publication;
- projects arrive through the year; converting ones are certified at the publication of the
  next year or the one after (no review);
- the cultivation register and 专精特新 recognitions are Poisson streams over the year driven
  by the firms listed at its start (the end-of-previous-year stock).

These timings reproduce the order of the annual specification exactly: all exits of year
``t`` happen before its publication, firms certified at the end of ``t`` are first exposed in
``t+1``, and a renewal counts only for a firm that survived the whole year.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Mapping
from functools import cache
from itertools import count

import numpy as np
import simpy

from sim.checks.reference.inputs import Inputs, Observed
from sim.checks.reference.rules import (
    AUTUMN,
    BATCHES,
    CERTIFICATE_YEARS,
    END_YEAR,
    EXITED,
    FIRST_PROJECT_YEAR,
    HOLDER,
    LAPSED,
    POLICY_YEAR,
    PROJECT,
    REGISTRATION_WINDOW,
    SERIES,
    SME,
    SPRING,
    START_YEAR,
    STOCK_YEAR,
    Firm,
    Start,
    apply_share,
    expected_renewals_2022,
    induced_factor,
    odds_scaled,
    shock,
)

_NEW = "new"
_RENEWAL = "renewal"


@cache
def _observed() -> Observed:
    return Observed.from_catalogue()


class Pipeline:
    """One replication of the firm pipeline as a SimPy simulation (see the module doc)."""

    def __init__(
        self,
        inputs: Inputs,
        rng: np.random.Generator,
        *,
        end_year: int = END_YEAR,
        start: Start | None = None,
        observed: Observed | None = None,
        trace: bool = False,
    ):
        self.p = inputs.params
        self.policy_effects = inputs.effects
        self.rng = rng
        self.end_year = end_year
        self.horizon = end_year + 1.0
        self.start = start
        self.observed = observed or _observed()
        first = FIRST_PROJECT_YEAR if start is None else POLICY_YEAR
        self.env = simpy.Environment(initial_time=float(first))
        self.first_year = first
        self._ids = count()
        self.holders: set[Firm] = set()
        self.register: set[int] = set()  # cultivation-register memberships (ids)
        self.applications: dict[tuple[int, float], list[tuple[Firm, str]]] = defaultdict(list)
        self.approved: dict[tuple[int, str], list[Firm]] = defaultdict(list)
        self.due: dict[int, list[Firm]] = defaultdict(list)
        self._published: dict[int, simpy.Event] = {}
        self.flows: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.apply_p: dict[int, float] = {}
        self.reapply_p: dict[int, float] = {}
        self.stock_2022 = 0
        self.records: dict[int, dict[str, int]] = {}
        self.log: list[tuple[float, str, int]] | None = [] if trace else None
        h = self.p["firms.exit_hazard"]
        self._exit_rate = -math.log1p(-h) if h > 0 else 0.0
        x = self.p["firms.pool_exit"]
        self._leave_rate = -math.log1p(-x) if x > 0 else 0.0
        # Does the observed 114 of 2022 count renewals too? Drawn once per replication.
        self.inclusive = start is None and rng.random() < self.p["firms.observed_new_inclusive"]
        renewals = expected_renewals_2022(self.p, self._stock_2020()[2019]) if self.inclusive else 0
        self._a = apply_share(self.p, renewals) if start is None else start.apply_share
        self.first_certified = 0  # first certifications of registered SMEs after 2022
        self.sme_level = self.sme_level_var = 0.0  # the AR(1) log level of registrations
        self.pass_p: dict[int, tuple[float, float]] = {}  # year -> (π_t, π_r,t)

    # ------------------------------------------------------------------ helpers

    def published(self, year: int) -> simpy.Event:
        """The event succeeded once the certificates of ``year`` are published."""
        if year not in self._published:
            self._published[year] = self.env.event()
        return self._published[year]

    def _note(self, what: str, firm_id: int) -> None:
        if self.log is not None:
            self.log.append((self.env.now, what, firm_id))

    def _new_firm(self, origin: str, status: str) -> Firm:
        return Firm(next(self._ids), origin, status)

    def _effect(self, year: int, indicator: str) -> float:
        # Levers act from 2023 on; the history years run at the status quo (E = 1).
        return self.policy_effects[indicator] if year >= POLICY_YEAR else 1.0

    def _arrival_times(
        self, start: float, width: float, mean: float, k: float | None
    ) -> Iterator[float]:
        """Arrival times of a gamma-mixed Poisson process on ``[start, start+width)``.

        The intensity of the window is ``Gamma(k, mean/k)``; the number of arrivals is then
        negative binomial with mean ``mean`` and variance ``mean + mean²/k``. ``k=None``: a
        plain Poisson process of intensity ``mean/width``.
        """
        if mean <= 0:
            return
        rate = (mean if k is None else self.rng.gamma(k, mean / k)) / width
        if rate <= 0:
            return
        t = start
        while True:
            t += self.rng.exponential(1.0 / rate)
            if t >= start + width:
                return
            yield t

    # ------------------------------------------------------------------ firm processes

    def sme(self, firm: Firm, year: int):
        """A tech SME registered now: applies in the year's next batch with ``min(1, a·E)``."""
        if self.rng.random() >= self.apply_p[year]:
            return  # registered, never applies
        batch = SPRING if self.env.now < year + SPRING else AUTUMN
        self.applications[(year, batch)].append((firm, _NEW))
        yield self.published(year)
        if firm.status == HOLDER:
            yield from self.holder(firm)

    def awaiting(self, firm: Firm, year: int):
        """A firm due a certificate without review (a converting attracted project, or one of
        the observed 2022 certifications): certified at the publication of ``year``."""
        yield self.published(year)
        if firm.status == HOLDER:
            yield from self.holder(firm)

    def holder(self, firm: Firm):
        """A certificate holder, from its first publication until it exits or lapses.

        Its lifetime is exponential from now (memoryless: renewals do not reset it). In the
        last year of each certificate it files a renewal, at a uniform time in the filing
        window of a spring or autumn batch, if it is still there.
        """
        env, rng = self.env, self.rng
        if self._exit_rate > 0:
            firm.exit_time = env.now + rng.exponential(1.0 / self._exit_rate)
        while True:
            review = firm.cohort + CERTIFICATE_YEARS  # type: ignore[operator]
            if review > self.end_year:
                if firm.exit_time < self.horizon:
                    yield env.timeout(firm.exit_time - env.now)
                    self._exit(firm)
                return
            batch = BATCHES[rng.integers(len(BATCHES))]
            opens = review + (0.0 if batch == SPRING else SPRING)
            filing = rng.uniform(opens, review + batch)
            if firm.exit_time < filing:
                yield env.timeout(firm.exit_time - env.now)
                self._exit(firm)
                return
            yield env.timeout(filing - env.now)
            if rng.random() < self.reapply_p[review]:
                self.applications[(review, batch)].append((firm, _RENEWAL))
                self._note("filed_renewal", firm.id)
            if firm.exit_time < review + 1:
                yield env.timeout(firm.exit_time - env.now)  # exits before the publication
                self._exit(firm)
                return
            yield self.published(review)
            if firm.status != HOLDER:
                return  # lapsed

    def _exit(self, firm: Firm) -> None:
        if firm.status != HOLDER:
            return
        firm.status = EXITED
        self.holders.discard(firm)
        self.flows["firms.exits"][math.floor(self.env.now)] += 1
        self._note("exit", firm.id)

    def admit(self, exposure_from: float) -> None:
        """Admit a member to the cultivation register now (counted at once) and start it."""
        member_id = next(self._ids)
        self.register.add(member_id)
        self.env.process(self.member(member_id, exposure_from))

    def member(self, member_id: int, exposure_from: float):
        """A cultivation-register member: leaves at an exponential time from ``exposure_from``
        (the start of the year after its admission), with annual probability ``x``."""
        leave = math.inf
        if self._leave_rate > 0:
            leave = exposure_from + self.rng.exponential(1.0 / self._leave_rate)
        if leave < self.horizon:
            yield self.env.timeout(leave - self.env.now)
            self.register.discard(member_id)

    # ------------------------------------------------------------------ arrival streams

    def registrations(self, year: int, mean: float):
        """Tech-SME registrations of ``year``: each arrival is a new firm process."""
        for t in self._arrival_times(year, REGISTRATION_WINDOW, mean, None):
            yield self.env.timeout(t - self.env.now)
            self.flows["tech_smes_registered"][year] += 1
            self.env.process(self.sme(self._new_firm(SME, SME), year))

    def projects(self, year: int, mean: float, observed: int | None = None):
        """Attracted projects of ``year``; each converts with ``q``, certified in ``year+1``
        or ``year+2`` with equal chance. An observed count has uniform arrival times."""
        rng = self.rng
        if observed is None:
            k = self.p["firms.project_dispersion"]
            times = list(self._arrival_times(year, 1.0, mean, k))
        else:
            times = sorted(year + rng.random(observed))
        q = self.p["firms.project_conversion"]
        for t in times:
            yield self.env.timeout(t - self.env.now)
            self.flows["scitech_projects_attracted"][year] += 1
            if rng.random() < q:
                due_year = year + 1 if rng.random() < 0.5 else year + 2
                firm = self._new_firm(PROJECT, PROJECT)
                self.due[due_year].append(firm)
                self.env.process(self.awaiting(firm, due_year))

    def nominations(self, year: int, listed: int, effect: float):
        """Admissions to the cultivation register: each firm on the end-of-previous-year list
        is nominated at rate ``e·E`` through the year (a Poisson stream of rate e·E·stock)."""
        rate = self.p["firms.pool_entry"] * effect * listed
        for t in self._poisson_times(year, rate):
            yield self.env.timeout(t - self.env.now)
            self.admit(exposure_from=year + 1.0)

    def recognitions(self, year: int, rate: float):
        """New 专精特新 recognitions of ``year``: a Poisson stream of the given yearly rate."""
        for t in self._poisson_times(year, rate):
            yield self.env.timeout(t - self.env.now)
            self.flows["zjtx_new"][year] += 1

    def _poisson_times(self, year: int, rate: float) -> Iterator[float]:
        if rate <= 0:
            return
        t = float(year)
        while True:
            t += self.rng.exponential(1.0 / rate)
            if t >= year + 1:
                return
            yield t

    # ------------------------------------------------------------------ the calendar

    def _certify(self, firm: Firm, year: int) -> None:
        firm.status = HOLDER
        firm.cohort = year
        self.holders.add(firm)
        self._note("certified", firm.id)

    def _create_holders(self, cohorts: Mapping[int, int]) -> None:
        for year, n in cohorts.items():
            for _ in range(n):
                firm = self._new_firm("stock", HOLDER)
                self._certify(firm, year)
                self.env.process(self.holder(firm))

    def _stock_2020(self) -> dict[int, int]:
        """The December-2020 stock split into cohorts certified in 2020, 2019 and 2018."""
        total = self.observed.stock_2020
        young = round(total * self.p["firms.cohort_share_2020"])
        middle = round((total - young) * self.p["firms.cohort_share_2019_of_rest"])
        return {2020: young, 2019: middle, 2018: total - young - middle}

    def _open_year(self, year: int) -> None:
        """Draw the year's macro shock and start its arrival streams."""
        p, rng = self.p, self.rng
        z = rng.standard_normal()  # the common macro shock z_t (independent in history years)
        back = START_YEAR - year
        project_mean = p["firms.project_rate_2022"] / (1 + p["firms.project_trend"]) ** back
        project_mean *= self._effect(year, "scitech_projects_attracted")
        project_mean *= shock(p["firms.project_shock_loading"], z)
        observed = self.observed.projects_2022 if year == START_YEAR and not self.start else None
        self.env.process(self.projects(year, project_mean, observed))
        if year <= STOCK_YEAR:
            return  # 2019–2020: only the projects that feed 2021–2022 certifications
        sme_mean = p["firms.sme_registrations_2022"] / (1 + p["firms.sme_trend"]) ** back
        if year > START_YEAR:  # the persistent level: x_t = ψ x_{t−1} + s η_t, v_t its variance
            psi, s = p["firms.sme_persistence"], p["firms.sme_innovation_sd"]
            self.sme_level = psi * self.sme_level + s * rng.standard_normal()
            self.sme_level_var = psi**2 * self.sme_level_var + s**2
            sme_mean *= math.exp(self.sme_level - self.sme_level_var / 2)
        e_r = self._effect(year, "tech_smes_registered")
        sme_mean *= e_r * shock(p["firms.sme_shock_loading"], z)
        self.env.process(self.registrations(year, sme_mean))
        depleted = math.exp(
            -p["firms.depletion"]
            * self.first_certified
            / max(p["firms.sme_registrations_2022"], 1.0)
        )
        a_t = self._a * depleted * self._effect(year, "hightech_certified_new")
        self.apply_p[year] = min(1.0, a_t * induced_factor(p, e_r))
        strict = math.exp(p["firms.review_strictness_sd"] * rng.standard_normal())
        self.pass_p[year] = (
            odds_scaled(p["firms.pass_rate"], strict),
            odds_scaled(p["firms.renewal_pass"], strict),
        )
        self.reapply_p[year] = odds_scaled(
            p["firms.renewal_apply"], self._effect(year, "hightech_enterprises")
        )
        listed = len(self.holders)  # the end-of-previous-year list (stock_{t−1})
        if year >= POLICY_YEAR:
            entry = self._effect(year, "cultivation_pool")
            self.env.process(self.nominations(year, listed, entry))
            rate = p["firms.zjtx_rate"] * listed / max(self.stock_2022, 1)
            rate *= self._effect(year, "zjtx_new") * shock(p["firms.project_shock_loading"], z)
            self.env.process(self.recognitions(year, rate))
        elif year == START_YEAR:
            # The 2022 flow: recognitions at the rate of the 2022 stock.
            self.env.process(self.recognitions(year, p["firms.zjtx_rate"]))

    def _review(self, year: int, batch: float) -> None:
        """A review batch: first applications pass with π, renewals with π_r."""
        if year not in self.pass_p:
            return  # 2019–2020: nothing to review (only projects run)
        pass_new, pass_renewal = self.pass_p[year]
        for firm, kind in self.applications.pop((year, batch), []):
            ok = self.rng.random() < (pass_new if kind == _NEW else pass_renewal)
            if ok:
                self.approved[(year, kind)].append(firm)

    def _publish(self, year: int) -> None:
        """End of ``year``: renewals take effect, expiring certificates lapse, new ones start."""
        if year <= STOCK_YEAR:
            self.due.pop(year, None)  # already inside the observed 2020 stock
            return
        expiring = [f for f in self.holders if f.cohort == year - CERTIFICATE_YEARS]
        renewed = [f for f in self.approved.pop((year, _RENEWAL), []) if f.status == HOLDER]
        for firm in renewed:
            firm.cohort = year
            self._note("renewed", firm.id)
        for firm in expiring:
            if firm.cohort != year:
                firm.status = LAPSED
                self.holders.discard(firm)
                self._note("lapsed", firm.id)
        from_projects = self.due.pop(year, [])
        approved = self.approved.pop((year, _NEW), [])
        if year == START_YEAR and self.start is None:
            # 2022's certifications are the observed 114, projects included, and under the
            # inclusive reading the renewals too.
            also = len(renewed) if self.inclusive else 0
            need = max(self.observed.new_certified_2022 - len(from_projects) - also, 0)
            if len(approved) >= need:
                picked = self.rng.choice(len(approved), size=need, replace=False)
                approved = [approved[i] for i in sorted(picked)]
            else:  # more were certified than this replication's applicants passed
                extra = [self._new_firm(SME, SME) for _ in range(need - len(approved))]
                for firm in extra:
                    self.env.process(self.awaiting(firm, year))
                approved = approved + extra
        for firm in (*from_projects, *approved):
            self._certify(firm, year)
        if year > START_YEAR:
            self.first_certified += len(approved)
        flows = self.flows
        # counted as the observed 114 were: with the renewals under the inclusive reading
        reported = len(renewed) if self.inclusive else 0
        flows["hightech_certified_new"][year] = len(from_projects) + len(approved) + reported
        flows["firms.renewed"][year] = len(renewed)
        flows["firms.up_for_renewal"][year] = len(expiring)

    def _record(self, year: int) -> None:
        row = {name: self.flows[name][year] for name in SERIES}
        row["hightech_enterprises"] = len(self.holders)
        row["cultivation_pool"] = len(self.register)
        self.records[year] = row

    def calendar(self):
        """The year's fixed events: opening, two review batches, publication and record."""
        env = self.env
        if self.start is not None:
            self._start_from(self.start)
        for year in range(self.first_year, self.end_year + 1):
            if year == STOCK_YEAR + 1 and self.start is None:
                self._create_holders(self._stock_2020())
            self._open_year(year)
            for batch in BATCHES:
                yield env.timeout(year + batch - env.now)
                self._review(year, batch)
            yield env.timeout(year + 1 - env.now)
            self._publish(year)
            if year == START_YEAR:
                self.stock_2022 = len(self.holders)
                # The register at the end of 2022 (not published): a Poisson count.
                for _ in range(self.rng.poisson(self.p["firms.pool_2022"])):
                    self.admit(exposure_from=env.now)
            if year >= START_YEAR:
                self._record(year)
            self.published(year).succeed()

    def _start_from(self, start: Start) -> None:
        if any(not START_YEAR - CERTIFICATE_YEARS < y <= START_YEAR for y in start.cohorts):
            raise ValueError("start cohorts must be certificates valid at the end of 2022")
        self._create_holders(start.cohorts)
        for year, n in start.pending.items():
            for _ in range(n):
                firm = self._new_firm(PROJECT, PROJECT)
                self.due[year].append(firm)
                self.env.process(self.awaiting(firm, year))
        for _ in range(start.pool):
            self.admit(exposure_from=self.env.now)
        self.stock_2022 = len(self.holders)
        self.records[START_YEAR] = dict.fromkeys(SERIES, 0) | {
            "hightech_enterprises": self.stock_2022,
            "hightech_certified_new": start.cohorts.get(START_YEAR, 0),
            "cultivation_pool": start.pool,
        }

    def run(self) -> dict[int, dict[str, int]]:
        """Run the replication; returns year -> series -> value for 2022 … ``end_year``."""
        self.env.run(until=self.env.process(self.calendar()))
        return self.records


def simulate_replication(
    inputs: Inputs,
    rng: np.random.Generator,
    years: tuple[int, ...] = (2022, 2023, 2024, 2025),
    start: Start | None = None,
) -> dict[str, np.ndarray]:
    """One replication: every series of :data:`SERIES` as an array over ``years``."""
    records = Pipeline(inputs, rng, end_year=max(years), start=start).run()
    return {name: np.array([records[y][name] for y in years], dtype=float) for name in SERIES}
