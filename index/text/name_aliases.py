"""The curated alias table: only what a corpus cannot teach.

A corpus teaches its own acronyms ("Organisation de coopération de Shanghai (OCS)") and CLDR (through
babel) gives every country's name in English, French and Russian. What neither gives is that the
English acronym of an organisation is not the French one (SCO/OCS, CSTO/OTSC, UN/ONU): an English
question about the "SCO" over French articles about the "OCS" meets no shared letter. So this table
holds organisations (and a few economic acronyms and initiatives) whose names differ across English,
French and Russian, each with its forms in all three. Keep it small: an entry belongs here only when
the English and French forms share no acronym, or the name translates word for word ("Belt and Road"
is "la Ceinture et la Route"). A `territory` code joins the entry to CLDR's country names for it
(UAE with "United Arab Emirates", "Émirats arabes unis", "ОАЭ").
"""

from __future__ import annotations

from typing import NamedTuple


class Alias(NamedTuple):
    forms: tuple[str, ...]
    territory: str | None = None


ALIASES: tuple[Alias, ...] = (
    Alias(
        (
            "SCO",
            "OCS",
            "ШОС",
            "Shanghai Cooperation Organisation",
            "Shanghai Cooperation Organization",
            "Organisation de coopération de Shanghai",
            "Шанхайская организация сотрудничества",
        )
    ),
    Alias(("UAE", "EAU", "ОАЭ", "Emirates", "Émirats", "Эмираты"), territory="AE"),
    Alias(("UN", "ONU", "ООН", "United Nations", "Nations unies", "Организация Объединённых Наций"), territory="UN"),
    Alias(("EU", "UE", "ЕС", "European Union", "Union européenne", "Европейский союз"), territory="EU"),
    Alias(("US", "USA", "США", "United States of America"), territory="US"),
    Alias(("UK", "Britain", "Grande-Bretagne"), territory="GB"),
    Alias(
        (
            "CSTO",
            "OTSC",
            "ОДКБ",
            "Collective Security Treaty Organization",
            "Collective Security Treaty Organisation",
            "Organisation du traité de sécurité collective",
            "Организация Договора о коллективной безопасности",
        )
    ),
    Alias(
        (
            "CIS",
            "CEI",
            "СНГ",
            "Commonwealth of Independent States",
            "Communauté des États indépendants",
            "Содружество Независимых Государств",
        )
    ),
    Alias(
        (
            "CICA",
            "СВМДА",
            "Conference on Interaction and Confidence-Building Measures in Asia",
            "Conférence pour l'interaction et les mesures de confiance en Asie",
            "Совещание по взаимодействию и мерам доверия в Азии",
        )
    ),
    Alias(
        (
            "OIC",
            "OCI",
            "ОИС",
            "Organisation of Islamic Cooperation",
            "Organization of Islamic Cooperation",
            "Organisation de la coopération islamique",
            "Организация исламского сотрудничества",
        )
    ),
    Alias(
        (
            "NATO",
            "OTAN",
            "НАТО",
            "North Atlantic Treaty Organization",
            "Organisation du traité de l'Atlantique nord",
        )
    ),
    Alias(("WTO", "OMC", "ВТО", "World Trade Organization", "Organisation mondiale du commerce")),
    Alias(
        (
            "OSCE",
            "ОБСЕ",
            "Organization for Security and Co-operation in Europe",
            "Organisation pour la sécurité et la coopération en Europe",
        )
    ),
    Alias(("EAEU", "EEU", "UEE", "ЕАЭС", "Eurasian Economic Union", "Union économique eurasiatique")),
    Alias(("GCC", "CCG", "Gulf Cooperation Council", "Conseil de coopération du Golfe", "Совет сотрудничества")),
    Alias(("IMF", "FMI", "МВФ", "International Monetary Fund", "Fonds monétaire international")),
    Alias(("WHO", "OMS", "ВОЗ", "World Health Organization", "Organisation mondiale de la santé")),
    Alias(("OPEC", "OPEP", "ОПЕК")),
    Alias(("ASEAN", "ANASE", "АСЕАН")),
    Alias(("BRICS", "БРИКС")),
    Alias(
        (
            "UNGA",
            "UN General Assembly",
            "United Nations General Assembly",
            "Assemblée générale des Nations unies",
            "Assemblée générale de l'ONU",
            "Генеральная Ассамблея ООН",
        )
    ),
    Alias(
        (
            "UNSC",
            "CSNU",
            "UN Security Council",
            "United Nations Security Council",
            "Conseil de sécurité des Nations unies",
            "Conseil de sécurité de l'ONU",
            "Совет Безопасности ООН",
        )
    ),
    Alias(
        (
            "BRI",
            "Belt and Road",
            "Belt and Road Initiative",
            "la Ceinture et la Route",
            "Une Ceinture, une Route",
            "Nouvelles routes de la soie",
            "New Silk Road",
            "Один пояс, один путь",
        )
    ),
    Alias(("GDP", "PIB", "ВВП", "gross domestic product", "produit intérieur brut")),
    # Intergovernmental bodies whose English and French acronyms differ, beyond this corpus's region: a
    # question about the "ECOWAS" over French articles on the "CEDEAO" shares no letter with them either.
    Alias(("AU", "UA", "African Union", "Union africaine", "Африканский союз")),
    Alias(
        (
            "ECOWAS",
            "CEDEAO",
            "ЭКОВАС",
            "Economic Community of West African States",
            "Communauté économique des États de l'Afrique de l'Ouest",
        )
    ),
    Alias(
        (
            "WAEMU",
            "UEMOA",
            "West African Economic and Monetary Union",
            "Union économique et monétaire ouest-africaine",
        )
    ),
    Alias(
        (
            "ECCAS",
            "CEEAC",
            "Economic Community of Central African States",
            "Communauté économique des États de l'Afrique centrale",
        )
    ),
    Alias(("AES", "Alliance of Sahel States", "Alliance des États du Sahel")),
    Alias(("AfDB", "BAD", "African Development Bank", "Banque africaine de développement")),
    Alias(("ICC", "CPI", "МУС", "International Criminal Court", "Cour pénale internationale")),
    Alias(("ICJ", "CIJ", "International Court of Justice", "Cour internationale de justice")),
    Alias(
        ("IAEA", "AIEA", "МАГАТЭ", "International Atomic Energy Agency", "Agence internationale de l'énergie atomique")
    ),
    Alias(
        (
            "OECD",
            "OCDE",
            "ОЭСР",
            "Organisation for Economic Co-operation and Development",
            "Organisation de coopération et de développement économiques",
        )
    ),
    Alias(("UNHCR", "HCR", "УВКБ", "UN Refugee Agency", "Haut Commissariat des Nations unies pour les réfugiés")),
    Alias(("WFP", "PAM", "ВПП", "World Food Programme", "Programme alimentaire mondial")),
    Alias(
        (
            "UNDP",
            "PNUD",
            "ПРООН",
            "United Nations Development Programme",
            "Programme des Nations unies pour le développement",
        )
    ),
    Alias(("ILO", "OIT", "МОТ", "International Labour Organization", "Organisation internationale du travail")),
    Alias(
        (
            "IOM",
            "OIM",
            "МОМ",
            "International Organization for Migration",
            "Organisation internationale pour les migrations",
        )
    ),
    Alias(
        ("ICRC", "CICR", "МККК", "International Committee of the Red Cross", "Comité international de la Croix-Rouge")
    ),
    Alias(("OAS", "OEA", "ОАГ", "Organization of American States", "Organisation des États américains")),
    Alias(("Arab League", "Ligue arabe", "Лига арабских государств", "League of Arab States")),
    Alias(("ECB", "BCE", "ЕЦБ", "European Central Bank", "Banque centrale européenne")),
    Alias(("FATF", "GAFI", "ФАТФ", "Financial Action Task Force", "Groupe d'action financière")),
    Alias(("NGO", "ONG", "НКО", "non-governmental organization", "organisation non gouvernementale")),
)
