"""Every fixed text of the chart pack in Chinese and English, and number/unit formatting.

Target names in the catalogue are the policy's full sentences, too long for a bar label; a
chart shows a short *subject* per target (:data:`TARGET_SUBJECTS`) followed by the condition
generated from the result's own kind and threshold (so a scenario that selects another
reading of a target gets the right number): ``高新技术企业≥500家``,
``科技型中小企业入库 每年≥600家``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import TYPE_CHECKING

from sim.catalogue import indicators, units
from sim.levers import levers
from sim.priors import parameters
from sim.targets import targets

if TYPE_CHECKING:
    from sim.scenario import Scenario

Lang = str  # "zh" or "en"

# ------------------------------------------------------------------ fixed text
TEXT: dict[str, tuple[str, str]] = {
    # pack and page titles
    "pack_title": (
        "启东市科技创新目标达成评估",
        "Qidong science-and-technology targets: attainment outlook",
    ),
    "pack_subtitle": (
        "启政办发〔2023〕10号《关于进一步提升科技创新能力的实施意见》"
        "2023—2025年目标 · 蒙特卡洛模拟",
        "Policy 启政办发〔2023〕10号 (Qidong, 2023): targets for 2023–2025 · "
        "Monte Carlo simulation",
    ),
    "pack_subtitle_plain": (
        "",
        "Qidong policy on raising innovation capacity (2023, no. 10): targets for 2023–2025 · "
        "Monte Carlo simulation",
    ),
    "footer": ("启东市科技创新目标模拟", "Qidong innovation-target simulation"),
    "page": ("第 {i} / {n} 页", "page {i} of {n}"),
    "cover_title": ("目标达成概况", "Summary"),
    "table_title": ("各项目标达成情况一览", "Every target at a glance"),
    "table_title_cont": ("各项目标达成情况一览（续）", "Every target at a glance (continued)"),
    "bars_title": ("各目标达成概率", "Probability of meeting each target"),
    "fans_title": (
        "主要指标走势（2022年起点 → 2025年）",
        "Indicator paths behind the targets, 2022 → 2025",
    ),
    "risk_title": (
        "存在风险目标：判定值的分布",
        "Targets at risk: where the judged value may land",
    ),
    "joint_title": ("整体达成情况", "Meeting the targets together"),
    "cofail_title": ("哪些目标容易同时落空", "Which targets tend to be missed together"),
    "levers_title": ("本情景的政策措施设定", "Policy settings of this scenario"),
    "params_title": ("影响风险目标的主要假设", "Assumptions behind the targets at risk"),
    "cmp_cover_title": ("政策组合比较概况", "Comparing policy packages"),
    "cmp_pmet_title": ("各情景下的目标达成概率", "Probability of meeting each target, by package"),
    "cmp_diff_title": ("各政策组合相对基准的变化", "Change against the reference, by package"),
    "cmp_cost_title": ("投入与效果", "Cost and effect"),
    "cmp_levers_title": ("各情景的措施设定", "Policy settings of each package"),
    # status
    "likely": ("很可能达成", "likely"),
    "uncertain": ("存在不确定", "uncertain"),
    "at_risk": ("存在风险", "at risk"),
    "not_modelled": ("未模拟", "not modelled"),
    "qualitative": ("定性目标", "qualitative"),
    "status_rule": (
        "达成概率 ≥80% 为“很可能达成”，50%—80% 为“存在不确定”，<50% 为“存在风险”",
        "P(met) ≥ 80 %: likely; 50–80 %: uncertain; below 50 %: at risk",
    ),
    # cover
    "scenario": ("情景", "Scenario"),
    "description": ("情景说明", "Description"),
    "lever_changes": ("相对现状调整的措施", "Measures changed from the status quo"),
    "no_lever_changes": ("无：所有措施维持2022年水平", "none: every measure at its 2022 level"),
    "readings": ("目标口径", "Target readings"),
    "assumptions_fixed": ("固定的参数", "Parameters fixed"),
    "run_info": (
        "模拟 {draws} 次 · 随机种子 {seed} · 运行日期 {date} · 模型版本 {version}",
        "{draws} draws · seed {seed} · run on {date} · sim {version}",
    ),
    "annual_cost": ("措施年度投入", "Annual cost of the measures"),
    "wan_per_year": ("{v} 万元/年", "{v} 10k yuan a year"),
    "targets_modelled": ("共模拟 {n} 项量化目标", "{n} quantitative targets simulated"),
    "qualitative_note": ("另有 {n} 项定性目标未模拟", "{n} qualitative goals not simulated"),
    "p_all": ("全部目标同时达成的概率", "P(every target met)"),
    "expected_met": ("预计达成目标数（期望值）", "Expected number of targets met"),
    "of_n": ("项 / 共 {n} 项", " of {n}"),
    "zero_hits": (
        "{draws} 次模拟中 0 次全部达成（95%上限 {hi}）",
        "0 of {draws} draws met every target (95 % upper bound {hi})",
    ),
    "lowest": ("达成概率最低的目标", "Targets with the lowest probability"),
    "by_group": (
        "各目标组（每格一项目标，按达成概率排列）",
        "By goal group (one square per target)",
    ),
    "how_to_read": ("如何阅读", "How to read this"),
    "how_to_read_text": (
        "本报告用蒙特卡洛方法模拟2023—2025年各项指标的可能走势：每次模拟抽取一组不确定参数和逐年波动，"
        "按政策原文口径判断每项目标是否达成；“达成概率”即达成目标的模拟次数所占比例，“±”后为模拟误差。"
        "达成概率≥80%为“很可能达成”，50%—80%为“存在不确定”，低于50%为“存在风险”。"
        "概率反映的是模型假设下的可能性，不是预测值；多数参数缺乏公开数据，以假设代替（见“主要假设”页），"
        "请结合各责任单位掌握的实际进展研判。",
        "Each draw of the Monte Carlo simulation picks one set of the uncertain parameters and one "
        "sequence of yearly shocks, runs 2023–2025 and judges every target as the policy words it. "
        "P(met) is the share of draws in which a target is met; '±' gives the simulation error. "
        "P(met) of 80 % or more is 'likely', 50–80 % 'uncertain', below 50 % 'at risk'. These are "
        "probabilities under the model's assumptions, not forecasts: most parameters have no "
        "published data and rest on assumptions (see the assumptions page), so read them together "
        "with what the responsible departments know.",
    ),
    # table
    "col_target": ("目标", "Target"),
    "col_clause": ("条款", "Clause"),
    "col_threshold": ("目标值", "Threshold"),
    "col_judged": ("考核口径", "Judged on"),
    "col_2022": ("2022年值", "2022"),
    "col_median": ("判定值中位数", "Median"),
    "col_interval": ("80%区间", "80 % interval"),
    "col_pmet": ("达成概率", "P(met)"),
    "col_status": ("判断", "Status"),
    "table_note": (
        "2022年值：未标注者为公开数据，*为模型估计（无公开数据）。判定值：水平类为2025年值，每年类为最差年份的值，"
        "累计类为2023—2025年合计，年均增长类为2022→2025年复合年均增速。80%区间：判定值有80%的可能落在此范围。",
        "2022: published figure unless marked * (a model estimate: no published figure). Judged "
        "value: the 2025 value for levels, the worst year for yearly targets, the 2023–2025 total "
        "for cumulative ones, compound average growth 2022→2025 for growth targets. 80 % interval: "
        "the judged value lands in it with probability 0.8.",
    ),
    "table_note_reading": (
        "† 按本情景选择的替代口径判定（见“措施设定”页）。",
        "† judged on an alternative reading chosen by the scenario (see the settings page).",
    ),
    "kind_level": ("{y}年末", "end {y}"),
    "kind_each_year": ("每年", "every year"),
    "kind_cumulative": ("三年累计", "3-year total"),
    "kind_growth_average": ("年均增长", "avg. growth"),
    "kind_growth_each_year": ("每年增长", "growth each year"),
    "kind_qualitative": ("定性", "qualitative"),
    "not_simulated": ("不模拟", "not simulated"),
    # bars
    "bars_xlabel": ("达成概率（误差线为95%置信区间）", "P(met) (error bars: 95 % Wilson interval)"),
    "bars_note": (
        "按目标组排列，组内按达成概率从高到低；颜色表示判断，虚线为50%和80%分界。",
        "Grouped by goal, highest first within a group; colour shows the status; dashed lines "
        "mark 50 % and 80 %.",
    ),
    # fans
    "fan_legend_90": ("90%区间", "90 % band"),
    "fan_legend_50": ("50%区间", "50 % band"),
    "fan_legend_median": ("中位数", "median"),
    "fan_legend_observed": ("2022年公开数据", "2022 published"),
    "fan_legend_estimated": ("2022年模型估计", "2022 model estimate"),
    "fan_legend_threshold": ("目标值（◆为考核年）", "target (◆ judged year)"),
    "fan_sub_level": ("{y}年末水平", "level at end {y}"),
    "fan_sub_each_year": ("年度值，每年均须达标", "yearly value; every year must reach it"),
    "fan_sub_cumulative": ("2023年起累计值", "running total from 2023"),
    "fan_sub_growth_average": ("相对2022年的倍数（需≥{x}倍）", "multiple of 2022 (needs ×{x})"),
    "fan_sub_growth_each_year": ("逐年增速", "growth on the year before"),
    "fan_note": (
        "阴影为模拟的90%和50%区间，实线为中位数。累计类与增长类面板依据前{n}次模拟的完整轨迹计算；"
        "年度值面板的区间是每年各自的区间，“每年达标”要求每一年都达到目标值，因此达成概率低于单看某一年。",
        "Shaded: 90 % and 50 % bands; line: median. Running totals and growth multiples come from "
        "the full paths of the first {n} draws. Bands of yearly values are per year; a target "
        "for every year needs all three years above the line, so it is harder than any one year.",
    ),
    "multiple": ("倍", "×"),
    # risk distributions
    "risk_met": ("达成区域", "met"),
    "risk_p": ("达成概率 {p}", "P(met) {p}"),
    "risk_median": ("中位数 {m}", "median {m}"),
    "risk_threshold": ("目标值", "target"),
    "risk_ylabel": ("概率", "probability"),
    "risk_none": ("本情景下没有“存在风险”的目标。", "No target is at risk in this scenario."),
    "risk_note": (
        "柱形为判定值的模拟分布（判定口径见一览表）；绿色为达到目标的部分，竖线为目标值。",
        "Bars: simulated distribution of the judged value (see the table for how each target is "
        "judged); green: the part that meets the target; vertical line: the threshold.",
    ),
    # joint
    "joint_groups": ("各目标组全部达成的概率", "P(every target of a group met)"),
    "joint_all": ("全部 {n} 项", "all {n} targets"),
    "joint_nmet": ("达成目标数的分布", "Number of targets met"),
    "joint_nmet_x": ("同时达成的目标数", "targets met"),
    "joint_nmet_y": ("概率", "probability"),
    "joint_expected": ("期望 {e} 项", "expected {e}"),
    "joint_at_least": ("至少 {k} 项", "at least {k}"),
    "joint_at_least_title": (
        "至少达成若干项目标的概率",
        "Probability of meeting at least k targets",
    ),
    "joint_text": (
        "即使单项目标各有较大把握，同时全部达成也要求每一项都顺利，因此整体概率远低于单项概率。"
        "更有意义的是“预计达成多少项”和哪几组目标拖后腿。",
        "Even when single targets look reachable, meeting all of them needs every one to go "
        "right, so the joint probability is far below the single ones. The expected number met "
        "and the weak groups say more.",
    ),
    "group_targets": ("（{n}项）", " ({n})"),
    # cofailure
    "cofail_cbar": ("两项目标同时落空的概率", "P(both missed)"),
    "cofail_note": (
        "每格为两项目标同时未达成的概率，对角线为单项未达成概率；按目标组排序。",
        "Each cell: probability that both targets are missed; diagonal: probability the target "
        "is missed; ordered by goal group.",
    ),
    "cofail_pairs": ("关联最强的同时落空组合", "Misses that go together most"),
    "cofail_pairs_note": (
        "按“落空相关系数”排序（0为互不相关，1为总是同时落空），反映共同的驱动因素。",
        "Ranked by the correlation of misses (0: unrelated, 1: always missed together), which "
        "points to shared drivers.",
    ),
    "cofail_corr": ("相关 {r}", "corr. {r}"),
    # levers
    "col_lever": ("措施", "Measure"),
    "col_setting": ("本情景", "Setting"),
    "col_unit": ("单位", "Unit"),
    "col_status_quo": ("现状(2022)", "Status quo"),
    "col_cost": ("年度投入(万元)", "Cost (10k yuan/yr)"),
    "total": ("合计", "Total"),
    "levers_note": (
        "加粗为本情景调整的措施（▲提高，▼降低）。现状水平与成本多数为假设"
        "（政策原文和公开数据未给出预算），详见 sim/catalogue/levers.toml。",
        "Bold: measures changed in this scenario (▲ raised, ▼ lowered). Most status-quo levels "
        "and costs are assumptions (the policy and the data give no budgets); see "
        "sim/catalogue/levers.toml.",
    ),
    "readings_none": ("全部按政策原文字面口径", "every target read literally"),
    # parameters
    "col_param": ("参数", "Parameter"),
    "col_prior": ("先验：中位数（90%范围）", "Prior: median (90 % range)"),
    "col_basis": ("依据（目录原文）", "Basis"),
    "col_drives": ("影响的风险目标", "Targets at risk it drives"),
    "params_note": (
        "选取与排序：保存的样本只有指标轨迹、没有参数抽样值，无法按相关性排序；"
        "因此按模型方程列出驱动各风险目标的参数（先列起始水平或速率，再列趋势，最后列波动），"
        "调整过的措施另列其效果弹性；同一层级内，影响风险目标多的在前，"
        "无数据支撑的假设排在有数据来源的参数之前。括号内为先验分布的90%范围。"
        "全部参数见 sim/catalogue/parameters/。",
        "Selection and order: the saved sample holds indicator paths, not parameter draws, so no "
        "correlation ranking is possible. Listed are the parameters in each at-risk target's "
        "equations (starting level or rate first, then trend, then noise) and the response "
        "elasticities of changed measures; within a tier, parameters driving more at-risk "
        "targets first, assumptions before data-sourced values. Brackets: 90 % range of the "
        "prior. All parameters: sim/catalogue/parameters/.",
    ),
    "params_more": ("另有 {n} 项参数未列出。", "{n} more parameters not shown."),
    "params_none": ("本情景下没有“存在风险”的目标。", "No target is at risk in this scenario."),
    "source_tag": ("[数据]", "[data]"),
    "assumption_tag": ("[假设]", "[assumption]"),
    "elasticity_of": ("措施效果弹性：{lever}", "response to measure: {lever}"),
    # comparison
    "reference": ("基准", "reference"),
    "col_scenario": ("情景", "Package"),
    "col_cost_total": ("年度投入(万元)", "Cost (10k yuan)"),
    "col_extra_cost": ("比基准增加", "vs reference"),
    "col_counts": ("很可能/不确定/风险", "likely / uncertain / at risk"),
    "col_expected": ("预计达成数", "Expected met"),
    "col_p_all": ("全部达成概率", "P(all met)"),
    "cmp_diff_x": (
        "达成概率变化（百分点，误差线为±1.96倍标准误）",
        "Change in P(met), points (bars: ±1.96 SE)",
    ),
    "cmp_paired": (
        "各情景使用相同的随机抽样（共同随机数），变化量为逐次配对差，误差远小于比较两次独立模拟。",
        "Packages share their random draws (common random numbers), so a change is a paired "
        "difference, much more precise than comparing two independent runs.",
    ),
    "cmp_filled": (
        "实心：变化超过两倍标准误（显著）；空心：不显著。",
        "Filled: the change exceeds twice its standard error; hollow: it does not.",
    ),
    "cmp_unpaired": (
        "注意：这些结果不是同一次联合运行，变化量按独立样本计算（偏保守）。",
        "Note: these results are not from one joint run; differences are computed as if "
        "independent (conservative).",
    ),
    "cmp_crossings": ("跨越50%/80%分界的目标", "Targets moved across 50 % / 80 %"),
    "cmp_no_crossings": ("无目标跨越分界", "no target crosses a line"),
    "cmp_up": ("升至", "up to"),
    "cmp_down": ("降至", "down to"),
    "cmp_cost_x": ("年度投入（万元）", "Annual cost (10k yuan)"),
    "cmp_cost_y": ("预计达成目标数", "Expected number of targets met"),
    "cmp_per_target": ("每多达成1项的投入(万元)", "Cost per extra target"),
    "cmp_nmet_title": (
        "达成目标数的分布（虚线为期望值）",
        "Number of targets met (dashed: expected)",
    ),
    "cmp_pmet_note": (
        "每行一项目标，点为各情景下的达成概率；虚线为50%和80%分界。",
        "One row per target; dots: P(met) under each package; dashed lines mark 50 % and 80 %.",
    ),
    "cmp_levers_note": (
        "加粗为相对现状调整的设定。",
        "Bold: settings changed from the status quo.",
    ),
    "all_targets": ("全部目标同时达成", "every target met"),
    "cmp_top_changes": ("达成概率变化最大的目标（百分点）", "Largest changes in P(met) (points)"),
    "cmp_cross_count": (
        "跨越50%/80%分界：上升 {up} 项，下降 {down} 项",
        "across 50 % / 80 %: {up} up, {down} down",
    ),
    "cmp_pp_unit": ("变化以百分点计。", "Changes are in percentage points."),
    "cmp_diff_sub": (
        "相对“{ref}”的达成概率变化（百分点）",
        "Change in P(met) against {ref} (points)",
    ),
    "cmp_extra_cost_line": ("年度投入比基准 {v} 万元", "{v} (10k yuan/yr) vs reference"),
    "cmp_cost_sub": (
        "横轴为措施年度投入，纵轴为预计达成目标数（误差线为95%区间）",
        "Annual cost of the measures against the expected number of targets met "
        "(bars: 95 % interval)",
    ),
    "cmp_extra_met": ("多达成目标数", "Extra targets met"),
    "cmp_cost_note": (
        "“每多达成1项目标的年度投入”＝增加的年度投入÷多达成的目标数（期望值），仅作粗略参考："
        "各目标的重要性不同，且投入成本多为假设。",
        "Extra cost per extra target = extra annual cost ÷ extra expected targets met; a rough "
        "guide only: targets differ in importance and most costs are assumptions.",
    ),
    "cmp_line": ("{line}分界", "{line} line"),
    "cmp_group_title": ("各目标组预计达成目标数", "Expected number of targets met, by goal group"),
    "cmp_group_col": ("目标组", "Goal group"),
    "cmp_total_cost": ("年度投入合计（万元）", "Annual cost (10k yuan)"),
    "cmp_unchanged": (
        "其余 {n} 项措施在各情景中均为现状水平。",
        "The other {n} measures stay at their status quo in every package.",
    ),
    "expected_row": ("预计达成目标数", "expected number met"),
}

# ------------------------------------------------------------------ statuses and palette
STATUSES = ("likely", "uncertain", "at_risk")
# Greyscale luminance ≈ 0.49 / 0.77 / 0.24 (Rec. 601), so the three stay apart in print.
STATUS_COLOURS = {
    "likely": "#4d9f57",
    "uncertain": "#f6c445",
    "at_risk": "#a8232a",
    "not_modelled": "#bdbdbd",
    "qualitative": "#d9d9d9",
}
STATUS_TEXT_COLOURS = {
    "likely": "white",
    "uncertain": "black",
    "at_risk": "white",
    "not_modelled": "black",
    "qualitative": "black",
}
INK = "#262626"
MUTED = "#6b6b6b"
RULE = "#bfbfbf"
FAN_COLOUR = "#3b6ea5"  # a single blue for the neutral (non-status) data
THRESHOLD_COLOUR = "#262626"
SCENARIO_COLOURS = ("#595959", "#3b6ea5", "#c46a1b", "#7a4f9a", "#2a8c8c")
SCENARIO_MARKERS = ("|", "s", "D", "^", "v")  # the reference is a tick: visible behind others

_CN_NUM = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}


# ------------------------------------------------------------------ lookups
def __getattr__(name: str) -> object:
    """``DRIVERS``, transitional: indicator id -> its ``drivers`` in indicators.toml.

    Only for the one caller left in :mod:`sim.charts.pages`; read ``Indicator.drivers``
    instead. Remove once that caller is gone.
    """
    if name == "DRIVERS":
        return {ind.id: ind.drivers for ind in indicators().values() if ind.drivers}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def t(key: str, lang: Lang, **fields: object) -> str:
    """The fixed text ``key`` in ``lang``, with ``{fields}`` filled in."""
    zh, en = TEXT[key]
    text = zh if lang == "zh" else en
    return text.format(**fields) if fields else text


def pick(pair: tuple[str, str], lang: Lang) -> str:
    """The zh or en half of a (zh, en) pair."""
    return pair[0] if lang == "zh" else pair[1]


def status_name(status: str, lang: Lang) -> str:
    """Display name of a status (likely, uncertain, at_risk, ...)."""
    return t(status, lang) if status in TEXT else status


def scenario_title(scenario: Scenario, lang: Lang) -> str:
    """Display name of a scenario: its ``title_zh`` / ``title_en``, else its name."""
    title = scenario.title_zh if lang == "zh" else scenario.title_en
    return title or scenario.name


def scenario_name(name: str, lang: Lang) -> str:
    """Transitional: the scenario's name as it is. Display titles live on the scenario now;
    call :func:`scenario_title` with the :class:`~sim.scenario.Scenario` instead."""
    return name


def lever_name(lever_id: str, name_zh: str, name_en: str, lang: Lang) -> str:
    """Short display name of a lever (its catalogue short_zh / short_en); the names given for a
    lever the catalogue does not know."""
    lever = levers().get(lever_id)
    if lever is not None:
        return lever.short_zh if lang == "zh" else lever.short_en
    return name_zh if lang == "zh" else name_en


def lever_unit(unit: str, lang: Lang) -> str:
    """A lever's unit (``lever.unit``) for display: without its parenthesised English gloss in
    Chinese, the catalogue's ``unit_en`` in English (the gloss-less unit if no lever has it)."""
    core = unit.split(" (")[0].strip()
    if lang == "zh":
        return core
    return next((lv.unit_en for lv in levers().values() if lv.unit == unit), core)


def param_name(pid: str, lang: Lang) -> str:
    """Display name of a parameter (its catalogue name_zh / name_en); the id where it has none."""
    prior = parameters().get(pid)
    name = None if prior is None else prior.name_zh if lang == "zh" else prior.name_en
    return name or pid


def unit_name(unit: str | None, lang: Lang) -> str:
    """Display form of a unit of the units table; any other unit as it is ('' for none)."""
    unit = unit if isinstance(unit, str) else ""
    found = units().get(unit)
    if found is None:
        return unit
    return found.zh if lang == "zh" else found.en


def clause(text: str | None, lang: Lang) -> str:
    """A policy clause: as written in Chinese; Arabic numerals in English (三(一)1 → §3(1)1)."""
    if not isinstance(text, str) or not text:
        return ""
    if lang == "zh":
        return text
    out = "".join(str(_CN_NUM[ch]) if ch in _CN_NUM else ch for ch in text)
    return "§" + out


def group_name(group: str, lang: Lang) -> str:
    """The goal group's name from the target catalogue."""
    from sim.targets import groups

    g = groups().get(group)
    if g is None:
        return group
    return g.name_zh if lang == "zh" else g.name_en


# ------------------------------------------------------------------ numbers
def num(value: float, lang: Lang = "zh", digits: int | None = None) -> str:
    """A number for display: integers without decimals, thousands separated (3万 in Chinese)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if digits is None:
        a = abs(v)
        if abs(v - round(v)) < 1e-9 or a >= 100:
            digits = 0
        elif a >= 10:
            digits = 1
        else:
            digits = 2
    if lang == "zh" and abs(v) >= 10000 and digits == 0:
        wan = v / 10000
        text = f"{wan:.2f}".rstrip("0").rstrip(".")
        return text + "万"
    text = f"{v:,.{digits}f}"
    return text.replace("-", "−")


def pct(p: float, digits: int = 0) -> str:
    """A probability as a percentage; never rounds a non-zero value to 0 % or a miss to 100 %."""
    if p is None or math.isnan(p):
        return "–"
    unit = 10.0**-digits
    shown = 100 * p
    if 0 < shown < unit / 2:
        return f"<{unit:.{digits}f}%"
    if 100 - unit / 2 < shown < 100:
        return f">{100 - unit:.{digits}f}%"
    return f"{shown:.{digits}f}%"


def value_with_unit(value: float, unit: str | None, lang: Lang) -> str:
    """``500家`` / ``500 firms``; percent stays glued (``60%``)."""
    u = unit_name(unit, lang)
    n = num(value, lang)
    if lang == "zh" or u.startswith("%") or not u:
        return f"{n}{u}"
    return f"{n} {u}"


def condition(kind: str, threshold: float, unit: str | None, deadline: int, lang: Lang) -> str:
    """The condition of a target in a few characters: ``≥500家``, ``每年≥600家``, ``累计≥20家``."""
    if kind == "qualitative" or threshold is None or math.isnan(threshold):
        return ""
    u = unit_name(unit, lang)
    n = num(threshold, lang)
    if lang == "zh":
        prefix = {
            "each_year": "每年",
            "cumulative": "累计",
            "growth_average": "年均增",
            "growth_each_year": "每年增",
        }.get(kind, "")
        if kind.startswith("growth"):
            u = "%"
        return f"{prefix}≥{n}{u}"
    if unit == "100m_cny":
        amount = f"{num(threshold / 10, lang)} bn yuan"
    elif unit in ("percent", "percent_per_year") or kind.startswith("growth"):
        amount = f"{n}%"
    else:
        amount = n
    suffix = {
        "each_year": "/yr",
        "cumulative": " total",
        "growth_average": " avg. growth",
        "growth_each_year": " growth/yr",
    }.get(kind, "")
    return f"≥ {amount}{suffix}"


def target_label(row: dict, lang: Lang, with_condition: bool = True) -> str:
    """Short display name of a target from an attainment row (subject + condition).

    The subject is the catalogue target's ``short_zh`` / ``short_en``; for an id the catalogue
    does not know, the row's full name, shortened.
    """
    target = targets().get(row["target_id"])
    if target is not None:
        subject = target.short_zh if lang == "zh" else target.short_en
    else:
        subject = row["name_zh"] if lang == "zh" else row["name_en"]
        subject = shorten(subject, 24)
    if not with_condition or row.get("kind") == "qualitative":
        return subject
    cond = condition(row["kind"], row["threshold"], row["unit"], int(row["deadline"]), lang)
    return f"{subject}{cond}" if lang == "zh" else f"{subject} {cond}"


def kind_text(kind: str, deadline: int, lang: Lang) -> str:
    """How a target is judged, in a few characters."""
    return t(f"kind_{kind}", lang, y=deadline) if f"kind_{kind}" in TEXT else kind


# ------------------------------------------------------------------ text layout
def width(text: str) -> int:
    """Display width: East Asian wide and full-width characters count 2, others 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def shorten(text: str, limit: float) -> str:
    """Cut ``text`` to ``limit`` half-em columns (see :func:`wrap`), ending with '…' if cut."""
    if _columns_of(text) <= limit:
        return text
    out = text
    while out and _columns_of(out + "…") > limit:
        out = out[:-1]
    return out.rstrip() + "…"


_TOKEN = re.compile(r"[A-Za-z0-9_.,;:%()'\"/+\-–—≥≤×·\[\]]+\s*|\s+|.", re.S)
_NO_LINE_START = set("，。、；：！？）》」』】”’%,.;:!?)]")
_NO_LINE_END = set("（《「『【“‘([")


def _columns_of(token: str) -> float:
    """Rendered width in 'columns' (half an em): CJK 2, Latin letters and digits ~1.2, space 0.65.

    Deliberately a little generous for Latin text (DejaVu Sans averages ~0.55 em a letter), so
    wrapped lines never run past their box.
    """
    total = 0.0
    for ch in token:
        if unicodedata.east_asian_width(ch) in "WF" or ch == "—":
            total += 2.0
        elif ch == " ":
            total += 0.6
        elif ch in "il.,;:'|!()[]":
            total += 0.7
        elif ch.isupper() or ch in "mwMW%@":
            total += 1.45
        else:
            total += 1.12
    return total


def wrap(text: str, columns: int, max_lines: int | None = None) -> list[str]:
    """Wrap mixed Chinese/English text to ``columns`` half-em columns (a CJK character is 2).

    Latin words are kept whole (broken only when longer than a line); Chinese breaks between
    any two characters, except that closing punctuation never starts a line. With
    ``max_lines``, the last kept line ends with '…' if text was dropped.
    """
    lines: list[str] = []
    for para in str(text).split("\n"):
        if not para.strip():
            lines.append("")
            continue
        current, used = "", 0.0
        for token in _TOKEN.findall(para):
            w = _columns_of(token)
            if used + _columns_of(token.rstrip()) > columns and current.strip():
                if token[0] in _NO_LINE_START and len(token.strip()) == 1:
                    current += token  # hang the punctuation at the line end
                    used += w
                    continue
                carry = ""
                while current and current[-1] in _NO_LINE_END:  # never end on an opening mark
                    carry = current[-1] + carry
                    current = current[:-1]
                lines.append(current.rstrip())
                current, used = carry, _columns_of(carry)
                if token.isspace():
                    continue
            if w > columns:  # a single overlong word: hard-break it
                step = max(1, int(len(token) * columns / w))
                for i in range(0, len(token), step):
                    if current:
                        lines.append(current.rstrip())
                    current = token[i : i + step]
                    used = _columns_of(current)
                continue
            current += token
            used += w
        if current.strip():
            lines.append(current.rstrip())
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _columns_of(last + "…") > columns:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def wrapped(text: str, columns: int, max_lines: int | None = None) -> str:
    """:func:`wrap` joined with newlines."""
    return "\n".join(wrap(text, columns, max_lines))


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")


def latin_only(text: str) -> str:
    """``text`` with Chinese runs replaced by '[…]', for English charts drawn without a CJK font."""
    return _CJK.sub("[…]", text)
