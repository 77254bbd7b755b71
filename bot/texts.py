"""What the bot says, in English and French, and how it picks the language of a reply."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from index.text.language import detect_language_confident

Lang = Literal["en", "fr"]

TEXTS: dict[str, dict[Lang, str]] = {
    "start": {
        "en": "Hello! I answer questions about a collection of news articles and cite the passages I found, "
        "with their source and date.\n\nAsk me anything, for example: <i>What did Kazakhstan say about Qatar?</i>\n"
        "/help explains how to ask in groups; /sources lists the articles.",
        "fr": "Bonjour ! Je réponds aux questions sur un ensemble d’articles de presse en citant les passages "
        "trouvés, avec leur source et leur date.\n\nPosez votre question, par exemple : <i>Qu’a dit le Kazakhstan "
        "sur le Qatar ?</i>\n/help explique comment me poser une question dans un groupe ; /sources liste les "
        "articles.",
    },
    "help": {
        "en": "<b>How to ask</b>\n• In a private chat: just write your question, in English or French.\n"
        "• In a group: <code>/ask your question</code>, mention me (<code>@{bot} your question</code>), or "
        "reply to one of my messages.\n"
        "• In any chat, even without me: type <code>@{bot} your question</code> and pick a passage to post.\n"
        "• Reply to an answer (<i>And Jordan?</i>) to ask a follow-up.\n\n"
        "Each answer shows the best passages with the sentences that answer in bold, then title · source · "
        "date. <b>More</b> shows further passages, <b>Full text</b> the whole passage, 👍 / 👎 tell us whether "
        "it helped. Name a month or year (<i>in March 2026</i>) to prefer that period, or ask for the "
        "<i>latest</i>.\n\n<b>What I know</b>: {documents} articles ({languages}); /sources lists them.\n"
        "Admins: /reindex rebuilds the index, /stats shows figures, /feedback shows the votes, /remove FILE "
        "takes an article out; send a file (.txt .md .html .pdf .docx) or a web link to add it.",
        "fr": "<b>Comment poser une question</b>\n• En privé : écrivez simplement votre question, en français ou "
        "en anglais.\n• Dans un groupe : <code>/ask votre question</code>, mentionnez-moi (<code>@{bot} votre "
        "question</code>) ou répondez à l’un de mes messages.\n"
        "• Dans n’importe quelle discussion, même sans moi : tapez <code>@{bot} votre question</code> et "
        "choisissez un passage à publier.\n"
        "• Répondez à une réponse (<i>Et la Jordanie ?</i>) pour poser une question de suite.\n\n"
        "Chaque réponse montre les meilleurs passages, les phrases qui répondent en gras, puis titre · source · "
        "date. <b>Suite</b> montre d’autres passages, <b>Texte intégral</b> le passage entier, 👍 / 👎 nous "
        "disent s’il a aidé. Nommez un mois ou une année (<i>en avril 2025</i>) pour le privilégier, ou "
        "demandez la <i>dernière</i> déclaration.\n\n<b>Ce que je connais</b> : {documents} articles "
        "({languages}) ; /sources les liste.\nAdmins : /reindex reconstruit l’index, /stats donne les chiffres, "
        "/feedback montre les votes, /remove FICHIER retire un article ; envoyez un fichier "
        "(.txt .md .html .pdf .docx) ou un lien web pour l’ajouter.",
    },
    "sources_title": {"en": "<b>Indexed articles</b> ({count})", "fr": "<b>Articles indexés</b> ({count})"},
    "date_unknown": {"en": "date unknown", "fr": "date inconnue"},
    "link": {"en": "link", "fr": "lien"},
    # The bot has no date filter: a period comes from the question, and is a preference, not a wall.
    "period": {
        "en": "Articles dated {since} to {until} preferred, the period of the question.",
        "fr": "Priorité aux articles datés du {since} au {until}, la période de la question.",
    },
    # A name no article writes as such, but strong passages all the same: they are shown under this line.
    "unmatched": {
        "en": "No article names {names} as such; the closest passages:",
        "fr": "Aucun article ne nomme {names} tel quel ; voici les passages les plus proches :",
    },
    "nothing_named": {
        "en": "No indexed article mentions {names}. /sources lists what they cover.",
        "fr": "Aucun article indexé ne mentionne {names}. /sources liste ce qu’ils couvrent.",
    },
    "nothing": {
        "en": "I found nothing in the indexed articles that answers this. /sources lists what they cover.",
        "fr": "Je n’ai rien trouvé dans les articles indexés qui réponde à cette question. /sources liste ce "
        "qu’ils couvrent.",
    },
    "more": {"en": "More ▸", "fr": "Suite ▸"},
    "following": {"en": "↪ following: {question}", "fr": "↪ suite de : {question}"},
    "full": {"en": "Full text {n}", "fr": "Texte intégral {n}"},
    "no_more": {"en": "No more passages for this question.", "fr": "Plus d’autres passages pour cette question."},
    "expired": {
        "en": "This answer has expired; please ask again.",
        "fr": "Cette réponse a expiré ; posez à nouveau la question.",
    },
    "bad_button": {"en": "Unknown button.", "fr": "Bouton inconnu."},
    "full_of": {"en": "Full text of passage {n}", "fr": "Texte intégral du passage {n}"},
    "usage": {
        "en": "Usage: <code>/ask your question</code>",
        "fr": "Utilisation : <code>/ask votre question</code>",
    },
    "too_long": {
        "en": "Your question is {length} characters long; please shorten it to {limit} characters at most.",
        "fr": "Votre question fait {length} caractères ; raccourcissez-la à {limit} caractères au plus.",
    },
    "rate_limited": {
        "en": "You have asked {limit} questions in the last minute; please wait a moment before the next one.",
        "fr": "Vous avez posé {limit} questions en une minute ; attendez un instant avant la suivante.",
    },
    "not_text": {
        "en": "I only read text. Send me your question as a message.",
        "fr": "Je ne lis que le texte. Envoyez-moi votre question sous forme de message.",
    },
    "admins_only": {
        "en": "Sorry, only the bot's admins can do that.",
        "fr": "Désolé, seuls les administrateurs du bot peuvent faire cela.",
    },
    "rebuilding": {
        "en": "Rebuilding the index… I keep answering from the current one meanwhile.",
        "fr": "Reconstruction de l’index… Je continue de répondre avec l’index actuel en attendant.",
    },
    "already_rebuilding": {
        "en": "A rebuild is already running; its summary will follow. /reindex cancel stops it.",
        "fr": "Une reconstruction est déjà en cours ; son résumé suivra. /reindex cancel l’arrête.",
    },
    "rebuilt": {
        "en": "Index rebuilt: {documents} documents, {chunks} chunks in {seconds:.1f} s "
        "({embedded} texts embedded, {reused} reused).",
        "fr": "Index reconstruit : {documents} documents, {chunks} passages en {seconds:.1f} s "
        "({embedded} textes encodés, {reused} réutilisés).",
    },
    "rebuild_progress": {
        "en": "Rebuilding the index… {stage}: {files_read}/{files_total} files read, {embedded}/{to_embed} "
        "texts embedded ({reused} reused), {elapsed:.0f} s elapsed{eta}.\nI keep answering from the current "
        "index meanwhile; /reindex cancel stops the rebuild.",
        "fr": "Reconstruction de l’index… {stage} : {files_read}/{files_total} fichiers lus, {embedded}/{to_embed} "
        "textes encodés ({reused} réutilisés), {elapsed:.0f} s écoulées{eta}.\nJe continue de répondre avec "
        "l’index actuel ; /reindex cancel arrête la reconstruction.",
    },
    "rebuild_eta": {"en": ", about {seconds:.0f} s left", "fr": ", environ {seconds:.0f} s restantes"},
    "stage_reading": {"en": "reading", "fr": "lecture"},
    "stage_embedding": {"en": "embedding", "fr": "encodage"},
    "stage_writing": {"en": "writing", "fr": "écriture"},
    "rebuild_cancelled": {
        "en": "Rebuild cancelled; the previous index stays in use.",
        "fr": "Reconstruction annulée ; l’index précédent reste en service.",
    },
    "cancelling": {"en": "Stopping the rebuild…", "fr": "Arrêt de la reconstruction…"},
    "nothing_to_cancel": {"en": "No rebuild is running.", "fr": "Aucune reconstruction n’est en cours."},
    "build_elsewhere": {
        "en": "A build of this index is already running in another process (citebot build); try again when it ends.",
        "fr": "Une construction de cet index est déjà en cours dans un autre processus (citebot build) ; "
        "réessayez quand elle sera terminée.",
    },
    "skipped": {"en": "Skipped {source}: {reason}", "fr": "Ignoré {source} : {reason}"},
    "skipped_more": {"en": "… and {count} more skipped files.", "fr": "… et {count} autres fichiers ignorés."},
    "rebuild_failed": {
        "en": "The rebuild failed; the previous index stays in use. Reason: {reason}",
        "fr": "La reconstruction a échoué ; l’index précédent reste en service. Raison : {reason}",
    },
    "remove_usage": {
        "en": "Usage: <code>/remove FILE</code>, a file name as /sources shows it.",
        "fr": "Utilisation : <code>/remove FICHIER</code>, un nom de fichier tel que /sources l’affiche.",
    },
    "unsafe_name": {
        "en": "Refused: <code>{name}</code> is not a plain file name inside the corpus folder.",
        "fr": "Refusé : <code>{name}</code> n’est pas un simple nom de fichier dans le dossier du corpus.",
    },
    "no_such_file": {
        "en": "There is no file <code>{name}</code> in the corpus; /sources lists the files.",
        "fr": "Il n’y a pas de fichier <code>{name}</code> dans le corpus ; /sources liste les fichiers.",
    },
    "removed": {
        "en": "Moved <code>{name}</code> out of the corpus to <code>{target}</code> (nothing is deleted; its "
        "metadata.toml entry, if any, is kept, so moving the file back restores its title and date). "
        "Rebuilding the index…",
        "fr": "<code>{name}</code> a été sorti du corpus vers <code>{target}</code> (rien n’est supprimé ; son "
        "entrée de metadata.toml, s’il en a une, est gardée : remettre le fichier rend son titre et sa date). "
        "Reconstruction de l’index…",
    },
    "remove_failed": {
        "en": "Could not move <code>{name}</code>: {reason}",
        "fr": "Impossible de déplacer <code>{name}</code> : {reason}",
    },
    "upload_admins_only": {
        "en": "Thank you, but only the bot's admins can add articles. Send me your question as a message instead.",
        "fr": "Merci, mais seuls les administrateurs du bot peuvent ajouter des articles. Envoyez-moi plutôt "
        "votre question sous forme de message.",
    },
    "bad_suffix": {
        "en": "Refused: <code>{name}</code> is not a kind of file I index ({allowed}).",
        "fr": "Refusé : <code>{name}</code> n’est pas un type de fichier que j’indexe ({allowed}).",
    },
    "bad_content": {
        "en": "Refused: <code>{name}</code> does not hold a readable {kind} file.",
        "fr": "Refusé : <code>{name}</code> ne contient pas un fichier {kind} lisible.",
    },
    # Limits on what a file unpacks to (index/ingest/readers): {measured} and {limit} in the limit's unit.
    "too_large_MAX_UNPACKED_BYTES": {
        "en": "Refused: <code>{name}</code> unpacks to {more}{measured}, more than the {limit} allowed "
        "(MAX_UNPACKED_BYTES). Nothing was saved.",
        "fr": "Refusé : <code>{name}</code> se décompresse en {more}{measured}, plus que les {limit} permis "
        "(MAX_UNPACKED_BYTES). Rien n’a été enregistré.",
    },
    "too_large_MAX_UNPACKED_RATIO": {
        "en": "Refused: a part of <code>{name}</code> inflates {measured} times, more than {limit} "
        "(MAX_UNPACKED_RATIO): a compression bomb, not an article. Nothing was saved.",
        "fr": "Refusé : une partie de <code>{name}</code> se décompresse {measured} fois, plus que {limit} "
        "(MAX_UNPACKED_RATIO) : une bombe de décompression, pas un article. Rien n’a été enregistré.",
    },
    "too_large_MAX_PDF_PAGES": {
        "en": "Refused: <code>{name}</code> has {more}{measured} pages; the limit is {limit} (MAX_PDF_PAGES). "
        "Nothing was saved.",
        "fr": "Refusé : <code>{name}</code> compte {more}{measured} pages ; la limite est de {limit} "
        "(MAX_PDF_PAGES). Rien n’a été enregistré.",
    },
    "too_large_MAX_ARTICLE_CHARS": {
        "en": "Refused: <code>{name}</code> holds {more}{measured} characters of text; an article may hold "
        "{limit} (MAX_ARTICLE_CHARS). Nothing was saved.",
        "fr": "Refusé : <code>{name}</code> contient {more}{measured} caractères de texte ; un article peut en "
        "contenir {limit} (MAX_ARTICLE_CHARS). Rien n’a été enregistré.",
    },
    "too_large_MAX_HTML_DEPTH": {
        "en": "Refused: <code>{name}</code> nests its elements {more}{measured} deep; the limit is {limit} "
        "(MAX_HTML_DEPTH). Nothing was saved.",
        "fr": "Refusé : <code>{name}</code> imbrique ses éléments sur {more}{measured} niveaux ; la limite est "
        "de {limit} (MAX_HTML_DEPTH). Rien n’a été enregistré.",
    },
    "at_least": {"en": "at least ", "fr": "au moins "},
    "too_big": {
        "en": "Refused: <code>{name}</code> is {size} bytes; the limit is {limit} bytes (MAX_FILE_BYTES).",
        "fr": "Refusé : <code>{name}</code> fait {size} octets ; la limite est de {limit} octets (MAX_FILE_BYTES).",
    },
    "duplicate": {
        "en": "Refused: the corpus already holds this very file, as <code>{existing}</code>.",
        "fr": "Refusé : le corpus contient déjà ce même fichier, sous le nom <code>{existing}</code>.",
    },
    "name_taken": {
        "en": "Refused: a different file named <code>{name}</code> is already in the corpus; rename yours, or "
        "/remove the old one first.",
        "fr": "Refusé : un autre fichier nommé <code>{name}</code> est déjà dans le corpus ; renommez le vôtre "
        "ou retirez l’ancien avec /remove.",
    },
    "bad_caption": {
        "en": "Refused: the caption line <code>{line}</code> is not one of <code>title: …</code>, "
        "<code>date: 2025-02</code>, <code>url: https://…</code>. Nothing was saved.",
        "fr": "Refusé : la ligne de légende <code>{line}</code> n’est pas de la forme <code>title: …</code>, "
        "<code>date: 2025-02</code> ou <code>url: https://…</code>. Rien n’a été enregistré.",
    },
    "metadata_conflict": {
        "en": "Refused: metadata.toml already has an entry for <code>{name}</code> (or cannot be read); "
        "fix it by hand first. Nothing was saved.",
        "fr": "Refusé : metadata.toml a déjà une entrée pour <code>{name}</code> (ou est illisible) ; "
        "corrigez-le à la main d’abord. Rien n’a été enregistré.",
    },
    "upload_failed": {
        "en": "Could not save the file: {reason}",
        "fr": "Impossible d’enregistrer le fichier : {reason}",
    },
    "upload_saved": {
        "en": "Saved <code>{name}</code> in the corpus. Rebuilding the index…",
        "fr": "<code>{name}</code> a été ajouté au corpus. Reconstruction de l’index…",
    },
    "uploaded_as": {
        "en": "New article: {citation}\nChunks indexed: {chunks}",
        "fr": "Nouvel article : {citation}\nPassages indexés : {chunks}",
    },
    "upload_not_indexed": {
        "en": "<code>{name}</code> was not indexed; the skipped files above say why.",
        "fr": "<code>{name}</code> n’a pas été indexé ; les fichiers ignorés ci-dessus disent pourquoi.",
    },
    "link_admins_only": {
        "en": "Thank you, but only the bot's admins can add articles from a link. To ask about it, write your "
        "question as a message.",
        "fr": "Merci, mais seuls les administrateurs du bot peuvent ajouter un article à partir d’un lien. Pour "
        "poser une question, écrivez-la sous forme de message.",
    },
    "link_bad_url": {
        "en": "Refused: <code>{url}</code> is not a web address I can fetch (http or https).",
        "fr": "Refusé : <code>{url}</code> n’est pas une adresse web que je peux récupérer (http ou https).",
    },
    "link_timeout": {
        "en": "Refused: <code>{url}</code> did not answer within {seconds} s (LINK_TIMEOUT_SECONDS). "
        "Nothing was saved; try again later, or save the page and send it as a file.",
        "fr": "Refusé : <code>{url}</code> n’a pas répondu en {seconds} s (LINK_TIMEOUT_SECONDS). Rien n’a été "
        "enregistré ; réessayez plus tard, ou enregistrez la page et envoyez-la comme fichier.",
    },
    "link_too_big": {
        "en": "Refused: the page at <code>{url}</code> is larger than {limit} bytes (MAX_FILE_BYTES). "
        "Nothing was saved.",
        "fr": "Refusé : la page <code>{url}</code> dépasse {limit} octets (MAX_FILE_BYTES). Rien n’a été enregistré.",
    },
    "link_not_html": {
        "en": "Refused: <code>{url}</code> is not a web page ({detail}); I only add HTML articles from links. "
        "Send a PDF or Word file as a document instead.",
        "fr": "Refusé : <code>{url}</code> n’est pas une page web ({detail}) ; je n’ajoute par lien que des "
        "articles HTML. Envoyez un PDF ou un fichier Word comme document.",
    },
    "link_http_status": {
        "en": "Refused: the site answered <code>{url}</code> with an error ({detail}). Nothing was saved.",
        "fr": "Refusé : le site a répondu à <code>{url}</code> par une erreur ({detail}). Rien n’a été enregistré.",
    },
    "link_unreachable": {
        "en": "Refused: I could not reach <code>{url}</code> ({detail}). Check the address; nothing was saved.",
        "fr": "Refusé : impossible de joindre <code>{url}</code> ({detail}). Vérifiez l’adresse ; rien n’a été "
        "enregistré.",
    },
    "link_private_address": {
        "en": "Refused: <code>{url}</code> leads to an address that is not public ({detail}). Pages from "
        "private networks are not fetched unless LINK_ALLOW_PRIVATE_ADDRESSES is on; nothing was saved.",
        "fr": "Refusé : <code>{url}</code> mène à une adresse qui n’est pas publique ({detail}). Les pages des "
        "réseaux privés ne sont lues que si LINK_ALLOW_PRIVATE_ADDRESSES est activé ; rien n’a été enregistré.",
    },
    "link_no_text": {
        "en": "Refused: I found no article text in the page at <code>{url}</code> (a home page, a login wall or "
        "a page built by JavaScript?). Nothing was saved.",
        "fr": "Refusé : je n’ai trouvé aucun texte d’article dans la page <code>{url}</code> (page d’accueil, "
        "page de connexion ou page construite en JavaScript ?). Rien n’a été enregistré.",
    },
    "link_duplicate": {
        "en": "Refused: the corpus already holds the article at <code>{url}</code>, as <code>{existing}</code>.",
        "fr": "Refusé : le corpus contient déjà l’article <code>{url}</code>, sous le nom <code>{existing}</code>.",
    },
    "link_saved": {
        "en": "Fetched <code>{url}</code> and saved it as <code>{name}</code>. Rebuilding the index…",
        "fr": "<code>{url}</code> a été récupéré et enregistré sous le nom <code>{name}</code>. Reconstruction de "
        "l’index…",
    },
    "stats": {
        "en": "<b>Index</b>: {documents} documents, {chunks} chunks\n<b>Model</b>: {model}\n"
        "<b>Built</b>: {built}\n<b>Questions answered since start</b>: {answered}",
        "fr": "<b>Index</b> : {documents} documents, {chunks} passages\n<b>Modèle</b> : {model}\n"
        "<b>Construit</b> : {built}\n<b>Questions traitées depuis le démarrage</b> : {answered}",
    },
    "unavailable": {
        "en": "The index is not available right now; an admin can rebuild it with /reindex.",
        "fr": "L’index n’est pas disponible pour le moment ; un administrateur peut le reconstruire avec /reindex.",
    },
    "error": {
        "en": "Sorry, something went wrong on my side. Please try again in a moment.",
        "fr": "Désolé, un problème est survenu de mon côté. Réessayez dans un instant.",
    },
    # Feedback: votes on answers and /feedback -----------------------------------------------
    "vote_recorded": {
        "en": "Recorded: {vote}. Thank you! You can change it at any time.",
        "fr": "Vote enregistré : {vote}. Merci ! Vous pouvez le changer à tout moment.",
    },
    "vote_changed": {
        "en": "Changed from {before} to {vote}. Thank you!",
        "fr": "Vote changé de {before} en {vote}. Merci !",
    },
    "vote_kept": {
        "en": "Already recorded: {vote}. Press the other button to change it.",
        "fr": "Déjà enregistré : {vote}. Appuyez sur l’autre bouton pour le changer.",
    },
    "feedback": {
        "en": "<b>Feedback</b>: {up} 👍, {down} 👎 on {answers} answers.\n{export}",
        "fr": "<b>Avis</b> : {up} 👍, {down} 👎 sur {answers} réponses.\n{export}",
    },
    "feedback_export": {
        "en": "<code>citebot feedback export</code> writes them as eval questions.",
        "fr": "<code>citebot feedback export</code> les écrit comme questions d’évaluation.",
    },
    "feedback_down_title": {"en": "<b>Latest 👎 questions</b>", "fr": "<b>Dernières questions 👎</b>"},
    "feedback_none": {"en": "No votes yet.", "fr": "Aucun vote pour le moment."},
    # Inline mode (`@bot question` in any chat) ------------------------------------------------
    "inline_hint_title": {"en": "Type a question…", "fr": "Tapez une question…"},
    "inline_hint_description": {
        "en": "At least {min} characters, in English or French, e.g. What did Kazakhstan say about Qatar?",
        "fr": "Au moins {min} caractères, en français ou en anglais, p. ex. Qu’a dit le Kazakhstan sur le Qatar ?",
    },
    "inline_hint_message": {
        "en": "I answer questions about a collection of news articles with cited passages. Type "
        "<code>@{bot} your question</code> in any chat, or write to me in private: @{bot}",
        "fr": "Je réponds aux questions sur un ensemble d’articles de presse en citant les passages. Tapez "
        "<code>@{bot} votre question</code> dans n’importe quelle discussion, ou écrivez-moi en privé : @{bot}",
    },
    "inline_nothing_title": {"en": "Nothing found", "fr": "Rien trouvé"},
    "inline_nothing": {
        "en": "No passage in the indexed articles answers this question.",
        "fr": "Aucun passage des articles indexés ne répond à cette question.",
    },
    # Plain text (a result's description and, escaped, its message): no /command, no HTML.
    "inline_nothing_named": {
        "en": "No indexed article mentions {names}.",
        "fr": "Aucun article indexé ne mentionne {names}.",
    },
    # `citebot ask` in a terminal: the same refusals, pointing at the command instead of /sources.
    "cli_nothing_named": {
        "en": "No indexed article mentions {names}. See `citebot sources` for what they cover.",
        "fr": "Aucun article indexé ne mentionne {names}. `citebot sources` liste ce qu’ils couvrent.",
    },
    "cli_nothing": {
        "en": "Nothing in the indexed articles answers this question. See `citebot sources` for what they cover.",
        "fr": "Rien dans les articles indexés ne répond à cette question. `citebot sources` liste ce qu’ils couvrent.",
    },
    "inline_unavailable_title": {"en": "Index unavailable", "fr": "Index indisponible"},
    "inline_unavailable": {
        "en": "The index is not available right now; please try again later.",
        "fr": "L’index n’est pas disponible pour le moment ; réessayez plus tard.",
    },
    "inline_rate_limited": {
        "en": "Too many searches in a minute: wait a moment",
        "fr": "Trop de recherches en une minute : patientez un instant",
    },
    "inline_error": {
        "en": "Something went wrong on my side: try again",
        "fr": "Un problème est survenu de mon côté : réessayez",
    },
}

COMMANDS: dict[Lang, list[tuple[str, str]]] = {
    "en": [
        ("ask", "Ask a question about the articles"),
        ("sources", "List the indexed articles"),
        ("help", "How to ask, also in groups"),
        ("start", "What this bot does"),
    ],
    "fr": [
        ("ask", "Poser une question sur les articles"),
        ("sources", "Lister les articles indexés"),
        ("help", "Comment poser une question, aussi en groupe"),
        ("start", "Ce que fait ce bot"),
    ],
}


def text(key: str, lang: Lang, **values: object) -> str:
    template = TEXTS[key][lang]
    return template.format(**values) if values else template


_QUOTES = {"en": ("\u201c", "\u201d"), "fr": ("\u00ab\u00a0", "\u00a0\u00bb")}


def quoted(names: Sequence[str], lang: Lang) -> str:
    """Names in the language's quotation marks: “X”, « X »."""
    left, right = _QUOTES[lang]
    return ", ".join(f"{left}{name}{right}" for name in names)


def question_language(question: str, limit: int) -> str | None:
    """The language lingua is confident of in the question as the search reads it (spacing
    normalised), so the search takes it as is (`RetrievalService.search(lang=...)`); `limit`
    characters at most, to bound the work on a text too long to be searched."""
    return detect_language_confident(" ".join(question.split())[:limit])


def pick_language(detected: str | None, language_code: str | None) -> Lang:
    """The question's own language when it is clear (`question_language`), else the user's Telegram
    language, else English."""
    if detected in ("en", "fr"):
        return detected  # type: ignore[return-value]
    if language_code and language_code.lower().startswith("fr"):
        return "fr"
    return "en"
