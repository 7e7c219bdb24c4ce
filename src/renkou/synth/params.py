"""Parameters of the synthetic county population (合成人口参数) and the four seed presets.

Every number that shapes the synthetic population lives here, as frozen dataclasses,
so that a run is fully described by ``(CountyParams, seed)``.  The presets reproduce
the headline figures of the 2006 handbook excerpt (see ``DOMAIN.md`` §1) exactly at
their reference date; the demographic rates are plausible values for the region and
period, not measurements.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class AreaStructure:
    """Counts of divisions to generate below the county (乡镇街道 and 村居).

    Township codes: subdistricts 街道 001–099, towns 镇 100–199, townships 乡
    200–399, special areas (development zones, farms) 400–599.  Village codes:
    residents' committees 居委会 001–199, villagers' committees 村委会 200–399.
    ``village_groups`` (村民小组) adds the 3-digit extension of the family-planning
    system (15-digit codes) spread over the villagers' committees.
    """

    subdistricts: int = 0
    towns: int = 1
    townships: int = 4
    special_areas: int = 0
    residents_committees: int = 2
    villages: int = 20
    village_groups: int = 0


@dataclass(frozen=True)
class FertilityParams:
    """Period fertility (生育).

    ``tfr``: total fertility rate, Σ ASFR over single ages 15–49.  The age pattern
    is a gamma density with mean ``mean_age`` and standard deviation ``sd_age``
    (shifted to start at 14.5).  ``parity_weights[k]``: relative propensity of a
    woman with k children to have another (last value for k beyond the tuple).
    ``srb``: sex ratio at birth, males per 100 females (出生人口性别比).
    ``twin_rate``: share of deliveries that are twin deliveries.
    """

    tfr: float = 1.6
    mean_age: float = 26.5
    sd_age: float = 4.5
    parity_weights: tuple[float, ...] = (1.0, 0.6, 0.15, 0.06)
    srb: float = 118.0
    twin_rate: float = 0.01
    hospital_share: float = 0.8
    home_share: float = 0.17
    base_tfr: float = 2.8  # fertility that produced the base population's stable age structure


@dataclass(frozen=True)
class MortalityParams:
    """Mortality level (死亡水平) as life expectancy at birth by sex, in years.

    The age pattern is a Siler hazard scaled to hit the given e0 (see
    :func:`renkou.synth.population.death_probabilities`).
    """

    e0_male: float = 71.0
    e0_female: float = 75.0


@dataclass(frozen=True)
class NuptialityParams:
    """First marriage (初婚) and divorce.

    Proportion ever married by age follows ``ever_married`` × Φ((a − mean)/sd);
    minimum legal ages are 20 (women) and 22 (men) by the Marriage Law (Tibet's
    regional rule: 18 and 20).  ``divorce_rate``: yearly probability for a couple.
    """

    female_mean_age: float = 23.0
    male_mean_age: float = 25.0
    sd_age: float = 3.0
    ever_married: float = 0.98
    female_min_age: int = 20
    male_min_age: int = 22
    divorce_rate: float = 0.002
    stay_with_parents_rural: float = 0.5
    stay_with_parents_urban: float = 0.2


@dataclass(frozen=True)
class MigrationParams:
    """Moves (迁移) and migrants (流动人口); rates are yearly probabilities.

    ``origin_provinces``: 2-digit province codes migrants and in-movers come from.
    """

    internal_move_rate: float = 0.004
    household_move_out_rate: float = 0.003
    young_move_out_rate: float = 0.01
    move_in_rate: float = 0.005
    migrant_share: float = 0.0  # resident migrants in the base population, share of registered
    migrant_arrival_rate: float = 0.0  # arrivals per registered person per year
    migrant_departure_rate: float = 0.2
    born_elsewhere_share: float = 0.08
    couple_share: float = 0.0  # share of in-movers (户口迁入) who come as married couples, e.g. on a posting
    origin_provinces: tuple[str, ...] = ("13", "37", "41")


@dataclass(frozen=True)
class ServiceParams:
    """Voluntary services (自愿服务), yearly take-up among those eligible; all with consent."""

    reproductive_health_check: float = 0.35
    prenatal_care: float = 0.85
    postnatal_visit: float = 0.6
    contraceptive_counselling: float = 0.25
    contraceptive_method: float = 0.75
    cervical_screening: float = 0.08
    breast_screening: float = 0.06
    premarital_check: float = 0.5


@dataclass(frozen=True)
class ActivityParams:
    """Township activity per month (乡镇月度工作量)."""

    publicity_sessions_per_month: float = 0.5
    people_per_session: float = 300.0
    trainings_per_month: float = 0.3
    people_per_training: float = 40.0
    mobile_trips_per_year: int = 12
    km_per_trip: float = 120.0


@dataclass(frozen=True)
class ImperfectionParams:
    """Switchable realistic imperfections, all labelled in ``ground_truth.json``."""

    enabled: bool = True
    late_registration_share: float = 0.02
    legacy_check_digit_share: float = 0.002
    duplicate_share: float = 0.001
    missing_births: int = 3


@dataclass(frozen=True)
class CountyParams:
    """Everything that defines one synthetic county.

    ``persons``: registered population (户籍人口) present at the end of ``end_year``
    (the reference date).  The optional targets are met exactly at that date in the
    register as written (after imperfections).
    """

    county_code: str
    start_year: int = 2001
    end_year: int = 2005
    persons: int = 10_000
    households_target: int | None = None
    migrants_target: int | None = None
    herders_target: int | None = None
    married_women_target: int | None = None  # married women 15–49 (已婚育龄妇女), registered, at the reference date
    cbr_target_permille: float | None = None
    ethnicity: tuple[tuple[str, float], ...] = (("01", 1.0),)
    tibetan_names: bool = False
    urban_share: float = 0.3
    structure: AreaStructure = field(default_factory=AreaStructure)
    township_names: tuple[tuple[str, str], ...] = ()  # (9-digit code, name) of real townships
    fertility: FertilityParams = field(default_factory=FertilityParams)
    mortality: MortalityParams = field(default_factory=MortalityParams)
    nuptiality: NuptialityParams = field(default_factory=NuptialityParams)
    migration: MigrationParams = field(default_factory=MigrationParams)
    services: ServiceParams = field(default_factory=ServiceParams)
    activity: ActivityParams = field(default_factory=ActivityParams)
    imperfections: ImperfectionParams = field(default_factory=ImperfectionParams)

    def with_changes(self, **changes: object) -> CountyParams:
        """A copy with some fields replaced (dataclasses.replace)."""
        return replace(self, **changes)  # type: ignore[arg-type]


_TIBET_NUPTIALITY = NuptialityParams(
    female_mean_age=22.0, male_mean_age=24.0, sd_age=3.5, ever_married=0.95,
    female_min_age=18, male_min_age=20, divorce_rate=0.003,
    stay_with_parents_rural=0.6, stay_with_parents_urban=0.3,
)

PRESETS: dict[str, CountyParams] = {
    # 改则县, Ngari, Tibet: herders on the Changtang; end of 2005.
    "gaize": CountyParams(
        county_code="542526", start_year=2001, end_year=2005, persons=18_689,
        herders_target=17_078,
        ethnicity=(("04", 0.955), ("01", 0.04), ("03", 0.005)), tibetan_names=True, urban_share=0.06,
        structure=AreaStructure(towns=1, townships=6, residents_committees=1, villages=49),
        fertility=FertilityParams(tfr=2.8, mean_age=28.0, sd_age=6.0,
                                  parity_weights=(1.0, 0.9, 0.75, 0.6, 0.45), srb=106.0,
                                  twin_rate=0.009, hospital_share=0.35, home_share=0.6, base_tfr=4.2),
        mortality=MortalityParams(e0_male=62.0, e0_female=66.0),
        nuptiality=_TIBET_NUPTIALITY,
        migration=MigrationParams(internal_move_rate=0.003, household_move_out_rate=0.002,
                                  young_move_out_rate=0.006, move_in_rate=0.003,
                                  born_elsewhere_share=0.03, origin_provinces=("54", "51", "63")),
        activity=ActivityParams(publicity_sessions_per_month=0.4, people_per_session=320.0,
                                mobile_trips_per_year=6, km_per_trip=720.0),
    ),
    # 城关区, Lhasa: the city proper; end of 2004.
    "chengguan": CountyParams(
        county_code="540102", start_year=2001, end_year=2004, persons=46_730,
        households_target=17_115, married_women_target=10_839,
        ethnicity=(("04", 0.86), ("01", 0.12), ("03", 0.02)), tibetan_names=True, urban_share=0.85,
        structure=AreaStructure(subdistricts=7, townships=4, residents_committees=28, villages=12),
        fertility=FertilityParams(tfr=1.9, mean_age=27.5, sd_age=5.0,
                                  parity_weights=(1.0, 0.8, 0.4, 0.25), srb=106.0,
                                  hospital_share=0.85, home_share=0.13, base_tfr=3.2),
        mortality=MortalityParams(e0_male=66.0, e0_female=70.0),
        # the city's married couples: early, near-universal marriage and in-movers who come with
        # their family (postings to the regional capital) give the handbook's 10,839 married
        # women 15–49, closed exactly at the reference date
        nuptiality=replace(_TIBET_NUPTIALITY, female_mean_age=21.0, male_mean_age=23.0, ever_married=0.99),
        migration=MigrationParams(internal_move_rate=0.008, household_move_out_rate=0.004,
                                  young_move_out_rate=0.01, move_in_rate=0.05, couple_share=0.85,
                                  origin_provinces=("54", "51", "62", "63")),
    ),
    # 息烽县, Guiyang, Guizhou: Han with Buyi and Miao villages; end of 2005, CBR 9.2‰.
    "xifeng": CountyParams(
        county_code="520122", start_year=2001, end_year=2005, persons=251_900,
        cbr_target_permille=9.2,
        ethnicity=(("01", 0.86), ("09", 0.07), ("06", 0.06), ("37", 0.01)), urban_share=0.18,
        structure=AreaStructure(towns=4, townships=6, residents_committees=8, villages=161,
                                village_groups=1_575),
        fertility=FertilityParams(tfr=1.45, mean_age=25.5, sd_age=4.5,
                                  parity_weights=(1.0, 0.55, 0.12, 0.05), srb=116.0,
                                  hospital_share=0.6, home_share=0.37, base_tfr=2.8),
        mortality=MortalityParams(e0_male=68.0, e0_female=72.0),
        migration=MigrationParams(origin_provinces=("52", "51", "53", "43")),
    ),
    # 任丘市, Cangzhou, Hebei: with the North China oilfield and 40,000+ migrants; end of 2005.
    "renqiu": CountyParams(
        county_code="130982", start_year=2001, end_year=2005, persons=778_400,
        migrants_target=40_612,
        ethnicity=(("01", 0.985), ("03", 0.013), ("11", 0.002)), urban_share=0.35,
        structure=AreaStructure(subdistricts=3, towns=11, townships=4, special_areas=1,
                                residents_committees=30, villages=416),
        fertility=FertilityParams(tfr=1.55, mean_age=26.0, sd_age=4.2,
                                  parity_weights=(1.0, 0.6, 0.08, 0.03), srb=117.0,
                                  hospital_share=0.92, home_share=0.07, base_tfr=2.8),
        mortality=MortalityParams(e0_male=71.0, e0_female=75.0),
        migration=MigrationParams(migrant_share=0.045, migrant_arrival_rate=0.012,
                                  migrant_departure_rate=0.2,
                                  origin_provinces=("13", "37", "41", "14", "15", "23")),
    ),
}


def preset(name: str) -> CountyParams:
    """The parameter set of a seed county by short name (gaize, chengguan, xifeng, renqiu)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(sorted(PRESETS))}") from None
