"""The assessment pages show the numbers: ranking, scorecard with explanations, contract, methods, XLSX."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from renkou.evaluation import services
from renkou.evaluation.exports import safe_cell


@pytest.fixture
def client_in(client, evaluator):
    client.force_login(evaluator)
    return client


@pytest.fixture
def published(scored_run, evaluator):
    return services.publish_run(user=evaluator, run=scored_run)


@pytest.mark.django_db
def test_ranking_page_lists_units_in_rank_order_with_grades_and_hash(client_in, published):
    from django.conf import settings

    client_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switch; the browser's is not used
    html = client_in.get(f"/evaluation/runs/{published.pk}/").content.decode()
    assert published.content_hash in html and "matches the stored results" in html
    assert html.index("小寨坝镇") < html.index("温泉镇") < html.index("永靖镇") < html.index("九庄镇")
    assert "<svg" in html  # ranking bars and themes chart rendered on the server


@pytest.mark.django_db
def test_scorecard_explains_every_item(client_in, published):
    html = client_in.get(f"/evaluation/runs/{published.pk}/units/520122101/").content.decode()
    assert "温泉镇" in html and "18.00" in html
    assert "值 96 距目标 100 差 4" in html  # the rule's own sentence, with the raw value and the target


@pytest.mark.django_db
def test_contract_prints_the_unit_target(client_in, scored_run):
    html = client_in.get(f"/evaluation/schemes/{scored_run.scheme_id}/contract/520122103/").content.decode()
    assert "小寨坝镇" in html and "目标管理责任书" in html
    targets = dict(re.findall(r"<td>([A-Z]\d) [^<]*</td><td class=\"num\">\d+</td><td class=\"num\">([^<]*)</td>", html))
    assert set(targets) == {"A1", "A2", "V1"} and targets["A1"] == targets["V1"] == "—"
    assert float(targets["A2"]) == 90  # the unit's own target
    other = client_in.get(f"/evaluation/schemes/{scored_run.scheme_id}/contract/520122104/").content.decode()
    # another unit gets the scheme's default target
    assert float(dict(re.findall(r"<td>([A-Z]\d) [^<]*</td><td class=\"num\">\d+</td><td class=\"num\">([^<]*)</td>", other))["A2"]) == 100


@pytest.mark.django_db
def test_methods_page_refuses_inconsistent_ahp_and_uses_a_consistent_one(client_in, published):
    url = f"/evaluation/runs/{published.pk}/methods/"
    bad = client_in.get(url, {"ahp": "1 9 1/9\n1/9 1 9\n9 1/9 1"}).content.decode()
    assert "CR =" in bad and "≥ 0.10" in bad
    good = client_in.get(url, {"ahp": "1 2 4\n1/2 1 2\n1/4 1/2 1"}).content.decode()
    assert "0.571" in good and "0.286" in good and "0.143" in good  # 4/7, 2/7, 1/7


@pytest.mark.django_db
def test_compare_methods_gives_ranks_and_their_spread(published):
    out = services.compare_methods(published, [[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]])
    assert set(out["scores"]) == {"points", "entropy", "topsis", "composite", "ahp"}
    ranks = out["stability"].ranks
    assert ranks["points"]["520122102000"] == 11  # the vetoed unit ranks last on points only
    assert ranks["ahp"]["520122100000"] == 11    # worst quality share is last under the AHP weights
    assert out["stability"].spread["520122102000"] == 10


@pytest.mark.django_db
def test_xlsx_ranking_is_injection_safe_and_has_a_chart(client_in, published):
    from renkou.core.models import Area

    Area.objects.filter(code="520122200000").update(name="=HYPERLINK(1)")
    run = services.compute_run(user=published.created_by, scheme=published.scheme)
    response = client_in.get(f"/evaluation/runs/{run.pk}/ranking.xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb.worksheets[0]
    names = [ws.cell(row=r, column=3).value for r in range(3, 14)]
    assert "'=HYPERLINK(1)" in names
    assert ws.cell(row=3, column=6).value == 20.0
    assert len(ws._charts) == 1
    assert safe_cell("+1") == "'+1" and safe_cell("@x") == "'@x" and safe_cell(5) == 5


@pytest.mark.django_db
def test_appeal_through_the_pages_yields_a_new_version(client_in, published):
    client_in.post(f"/evaluation/runs/{published.pk}/appeal/", {"unit": "520122100000", "item_code": "A1",
                                                                "reason": "missed visit", "claimed_value": "85"})
    appeal = published.appeals.get()
    response = client_in.post(f"/evaluation/appeals/{appeal.pk}/decide/", {"accept": "1", "decision": "ok"})
    appeal.refresh_from_db()
    assert appeal.new_run is not None and response["Location"].endswith(f"/runs/{appeal.new_run_id}/")
    html = client_in.get(response["Location"]).content.decode()
    assert "10.00 → <strong>20.00</strong>" in html and "10 → <strong>1</strong>" in html


@pytest.mark.django_db
def test_scheme_import_page_lists_every_problem(client_in, seed_areas):
    from .conftest import SMALL_SCHEME

    bad = SMALL_SCHEME.replace("lo: 80}", "lo: 80, hi: 70}").replace("per_unit: 0.5", "per_unit: -1")
    html = client_in.post("/evaluation/", {"text": bad}, follow=True).content.decode()
    # the page is in Chinese: each message shows its Chinese side only
    assert "per_unit（-1）必须大于 0" in html and "must be &gt; 0" not in html
    assert "lo (80)" in html and "hi (70)" in html


@pytest.mark.django_db
def test_scorecard_links_an_indicator_item_to_the_indicators_value_page(client_in, evaluator):
    import yaml

    from renkou.indicators import services as indicators
    from renkou.indicators.models import IndicatorValue

    from .conftest import SMALL_SCHEME, enter_scores

    indicators.load_catalog()
    data = yaml.safe_load(SMALL_SCHEME)
    data["total_points"] = 25
    data["themes"][0]["items"].append({"code": "H1", "name_zh": "住院分娩率", "name_en": "hospital delivery", "points": 5,
                                       "source": {"indicator": "hospital_delivery_rate"},
                                       "rule": {"type": "band", "lo": 90}})
    scheme = services.import_scheme(user=evaluator, text=yaml.safe_dump(data, allow_unicode=True))
    enter_scores(scheme, evaluator)
    run = services.compute_run(user=evaluator, scheme=scheme)
    value = IndicatorValue.objects.get(indicator__code="hospital_delivery_rate", area_id="520122101000", period="2005")
    html = client_in.get(f"/evaluation/runs/{run.pk}/units/520122101/").content.decode()
    assert f'href="/indicators/value/{value.pk}/"' in html
