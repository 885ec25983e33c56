"""Training text and test strings for the tokenizer fixtures of make_hf_tokenizers.py.

Everything here is written out in this file or generated from it with a seeded random generator:
nothing is downloaded. The passages are public domain (the US Declaration of Independence, the
Gettysburg Address, Psalm 23 in the King James Version, Shakespeare, Jane Austen, Lewis Carroll,
the 1789 Declaration of the Rights of Man, Goethe, Cervantes, Pushkin, Homer, the Tao Te Ching,
the Iroha poem) or written for this file (the code, the numbers and the short sentences in other
languages).
"""

import random

PASSAGES = [
    # English
    "When in the Course of human events, it becomes necessary for one people to dissolve the political "
    "bands which have connected them with another, and to assume among the powers of the earth, the "
    "separate and equal station to which the Laws of Nature and of Nature's God entitle them, a decent "
    "respect to the opinions of mankind requires that they should declare the causes which impel them "
    "to the separation. We hold these truths to be self-evident, that all men are created equal.",
    "Four score and seven years ago our fathers brought forth on this continent, a new nation, conceived "
    "in Liberty, and dedicated to the proposition that all men are created equal. Now we are engaged in "
    "a great civil war, testing whether that nation, or any nation so conceived and so dedicated, can "
    "long endure. We are met on a great battle-field of that war.",
    "The LORD is my shepherd; I shall not want. He maketh me to lie down in green pastures: he leadeth "
    "me beside the still waters. He restoreth my soul: he leadeth me in the paths of righteousness for "
    "his name's sake.",
    "To be, or not to be, that is the question: Whether 'tis nobler in the mind to suffer the slings and "
    "arrows of outrageous fortune, or to take arms against a sea of troubles, and by opposing end them. "
    "All the world's a stage, and all the men and women merely players; they have their exits and their "
    "entrances. Shall I compare thee to a summer's day? Thou art more lovely and more temperate.",
    "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be "
    "in want of a wife. However little known the feelings or views of such a man may be on his first "
    "entering a neighbourhood, this truth is so well fixed in the minds of the surrounding families.",
    "Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing "
    "to do: once or twice she had peeped into the book her sister was reading, but it had no pictures "
    "or conversations in it, 'and what is the use of a book,' thought Alice 'without pictures or "
    "conversations?' \"I can't explain myself, I'm afraid, sir,\" said Alice, \"because I'm not myself, "
    "you see.\" WE'RE ALL MAD HERE. I'd say you'll find it, they've gone, she'd known.",
    # French, German, Spanish
    "Les hommes naissent et demeurent libres et égaux en droits. Les distinctions sociales ne peuvent "
    "être fondées que sur l'utilité commune. Le but de toute association politique est la conservation "
    "des droits naturels et imprescriptibles de l'Homme. Ces droits sont la liberté, la propriété, la "
    "sûreté, et la résistance à l'oppression. Où est la bibliothèque ? À bientôt, garçon naïf !",
    "Wer reitet so spät durch Nacht und Wind? Es ist der Vater mit seinem Kind; Er hat den Knaben wohl "
    "in dem Arm, Er faßt ihn sicher, er hält ihn warm. Mein Sohn, was birgst du so bang dein Gesicht? "
    "Größe, Übermut, Straße, Fräulein, schön.",
    "En un lugar de la Mancha, de cuyo nombre no quiero acordarme, no ha mucho tiempo que vivía un "
    "hidalgo de los de lanza en astillero, adarga antigua, rocín flaco y galgo corredor. ¿Dónde está "
    "el niño? ¡Qué mañana tan pequeña! Año, señor, corazón.",
    # Russian, Greek
    "Я помню чудное мгновенье: Передо мной явилась ты, Как мимолетное виденье, Как гений чистой красоты. "
    "Мороз и солнце; день чудесный! Ещё ты дремлешь, друг прелестный.",
    "Μῆνιν ἄειδε θεὰ Πηληϊάδεω Ἀχιλῆος οὐλομένην, ἣ μυρί᾽ Ἀχαιοῖς ἄλγε᾽ ἔθηκε. Καλημέρα κόσμε, "
    "η γλώσσα είναι ελληνική.",
    # Chinese, Japanese, Korean
    "道可道，非常道。名可名，非常名。無名天地之始；有名萬物之母。故常無欲，以觀其妙；常有欲，以觀其徼。"
    "学而时习之，不亦说乎？有朋自远方来，不亦乐乎？今天天气很好，我们去公园散步吧。",
    "いろはにほへと ちりぬるを わかよたれそ つねならむ うゐのおくやま けふこえて あさきゆめみし ゑひもせす。"
    "今日は良い天気ですね。東京都の図書館で日本語の本を読みました。カタカナとひらがな。",
    "안녕하세요. 오늘은 날씨가 좋습니다. 한국어는 한글로 씁니다. 우리는 도서관에서 책을 읽었습니다.",
    # Arabic, Hebrew, Hindi, Thai
    "مرحبا بالعالم. اللغة العربية جميلة جدا. الكتاب على الطاولة.",
    "שלום עולם. הספר נמצא על השולחן.",
    "नमस्ते दुनिया। हिंदी एक सुंदर भाषा है। पुस्तक मेज़ पर है।",
    "สวัสดีชาวโลก ภาษาไทยสวยงาม",
    # Code
    "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    a, b = 0, 1\n    for _ in range(n):\n"
    "        a, b = b, a + b\n    return a\n\nif __name__ == '__main__':\n    print(fibonacci(10))  # 55\n",
    "public final class Main {\n\tpublic static void main(String[] args) {\n\t\tint[] xs = {1, 2, 3};\n"
    "\t\tfor (int x : xs) {\n\t\t\tSystem.out.println(x * x + \" squared\");\n\t\t}\n\t\tif (a && b || !c) { return; }\n\t}\n}\n",
    "{\"name\": \"lens4j\", \"version\": \"0.1.0\", \"tags\": [\"interp\", \"jvm\"], \"size\": 1024, \"ok\": true}\n"
    "SELECT id, name FROM users WHERE age >= 18 AND name LIKE '%son' ORDER BY id DESC;\n"
    "<html><body><p class=\"note\">Hello &amp; welcome</p></body></html>\n"
    "x = [i**2 for i in range(100) if i % 3 == 0]; y = {k: v for k, v in zip(a, b)}\n",
    # Numbers and dates
    "In 1776 there were 13 colonies; by 1959 there were 50 states. Pi is 3.14159265358979, e is 2.71828. "
    "Call 555-0100 or +1 (800) 123-4567. It costs $1,234,567.89 or 1.000.000,00 EUR on 2024-03-15 at 12:30:45. "
    "Version 10.2.3, build 20240101, ratio 16:9, 99% done, 1/2 + 3/4 = 5/4.",
    # Emoji and symbols
    "I love it 😀😀! Thumbs up 👍🏽, family 👨‍👩‍👧‍👦, flags 🇫🇷🇯🇵, hearts ❤️💙, stars ★☆, arrows → ← ↑ ↓, "
    "math ∑ ∫ √ ∞ ≠ ≤ ≥ ±, currency € £ ¥ ₹, bullets • ◦, dashes – —, quotes “ ” ‘ ’ « ».",
]

# Fragments the random test strings are built from.
WORDS = ("the of and to in is was that for it with as his on be at by had are but from or have an they "
         "which one you were all we her she there would their will when who him been has more if no out so "
         "said what up its about into than them can only other new some could time these two may first then "
         "do any like my now over such our man me even most made after also did many before must through "
         "back years where much your way well down should because each just those people Mr how too little "
         "state good very make world still own see men work long get here between both life being under never "
         "day same another know while last might us great old year off come since against go came right used "
         "take three").split()
ACCENTED = "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœÀÉÎÕÜŒ"
CJK = "日本語中文漢字学生先生東京大阪天気図書館読書한국어안녕하세요ひらがなカタカナ"
CYRILLIC_GREEK = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЖαβγδεζηθικλμνξοπρστυφχψωΩΣΔ"
EMOJI = ["😀", "👍", "👍🏽", "👨‍👩‍👧", "🇫🇷", "❤️", "🎉", "🤖", "💡", "🙂", "\U0001F9EA", "\u2764", "\u200d"]
PUNCT = list(".,;:!?'\"()[]{}<>-_=+*/\\|@#$%^&~`") + ["...", "--", "->", "=>", "!=", "::", "'s", "'ll", "'RE", "n't"]
SPACES = [" ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", " \n", "\n ", "    ", "\u00a0", "\u3000",
          "\u2003", "\u0085", "\u2028", "\u200b", "\x0b", "\x0c"]
DIGITS = ["0", "7", "42", "123", "2024", "31415926", "1,000", "3.14", "0x1F", "١٢٣", "²", "Ⅻ", "½", "１２３"]
ODD = ["\u00ad", "e\u0301", "a\u0308", "\uFB01", "\u2126", "\u212b", "\u1e9b\u0323", "ＡＢＣ", "ﬀ", "\ufeff",
       "\u0000", "\x01", "\x1b", "\x7f", "\u0301", "\u2581", "\u2581\u2581", "\u0120", "\u010a", "<0x41>",
       "<0x0A>", "\u0130", "\u017f", "\u212a", "ǅ", "İstanbul", "ſt", "ΣΑΣ", "\U00010400", "\U0001d400",
       "\U00020000", "\uffff", "\ufffd", "\U0010ffff", "\U000e0001"]


def training_lines(seed=20240611, target_chars=300_000):
    """The passages, then random recombinations of their sentences and words, one line each."""
    rng = random.Random(seed)
    lines = []
    for p in PASSAGES:
        lines.extend(p.split("\n"))
    pieces = [s for p in PASSAGES for s in p.replace("\n", " ").split(" ") if s]
    total = sum(len(x) for x in lines)
    while total < target_chars:
        k = rng.randint(3, 30)
        line = " ".join(rng.choice(pieces) for _ in range(k))
        if rng.random() < 0.2:
            line = "    " + line
        if rng.random() < 0.1:
            line = line + " " + str(rng.randint(0, 10 ** rng.randint(1, 9)))
        lines.append(line)
        total += len(line)
    return lines


def _fragment(rng, specials):
    r = rng.random()
    if r < 0.30:
        w = rng.choice(WORDS)
        c = rng.random()
        return w.upper() if c < 0.1 else w.capitalize() if c < 0.25 else w
    if r < 0.45:
        return rng.choice(SPACES)
    if r < 0.55:
        return rng.choice(PUNCT)
    if r < 0.62:
        return rng.choice(DIGITS) if rng.random() < 0.5 else str(rng.randint(0, 10 ** rng.randint(1, 12)))
    if r < 0.68:
        return "".join(rng.choice(ACCENTED + "abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 8)))
    if r < 0.74:
        return "".join(rng.choice(CJK) for _ in range(rng.randint(1, 6)))
    if r < 0.78:
        return "".join(rng.choice(CYRILLIC_GREEK) for _ in range(rng.randint(1, 7)))
    if r < 0.83:
        return rng.choice(EMOJI)
    if r < 0.88:
        return rng.choice(ODD)
    if r < 0.94 and specials:
        s = rng.choice(specials)
        return s if rng.random() < 0.8 else s[: rng.randint(1, max(1, len(s) - 1))]  # sometimes cut short
    p = rng.choice(PASSAGES)
    i = rng.randrange(len(p))
    return p[i: i + rng.randint(1, 40)]


HANDWRITTEN = [
    "", " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n\n", " \t \n ", "a", "A", "Hello world", " Hello world",
    "Hello  world", "Hello   world", "hello world ", "  leading and trailing  ", "a   b", "a\n\nb", "x  \n\n  ",
    "I'm", "I'M", "we're WE'RE We'Re", "it's 'tis", "don't can't won't", "they'll THEY'LL", "I'd've", "' s",
    "it'ſ", "IT'S", "'S'T'RE'VE'M'LL'D", "\u212a", "Kelvin \u212a", "café naïve Ångström", "e\u0301",
    "cafe\u0301", "\uFB01ne", "Stra\u00dfe STRASSE", "İstanbul", "ǅemal", "日本語のテキスト", "中文", "한국어",
    "😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷🇯🇵", "a😀b", " 😀 ", "1234567890", "3.14159", "1,000,000", "12345 67",
    "٣٤٥", "²³", "Ⅻ", "１２３", "abc123def", "def f(x):\n    return x**2\n", "\tif (a && b) { return; }",
    "    indented\n        more\n", "x=1;y=2", "<html>&amp;</html>", "\u00a0\u00a0", "a\u00a0b", "a\u3000b",
    "a\u0085b", "a\u2028b", "a\u200bb", "\x00\x01\x1f\x7f", "\u0301\u0301", "\u2581", "\u2581hello",
    "hello\u2581world", "\u0120the", "<0x41>", "<0x0A>", "<unk>", "<s>", "</s>", "<pad>", "<bos>", "<eos>",
    "<|endoftext|>", "<|begin_of_text|>", "<|im_start|>", "[INST]", "<start_of_turn>", "< s >",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "____", "......", "!!!", "???", "HeLLo WoRLD", "\uffff", "\ufffd", "\U0010ffff", "\U00020000",
    "the the the the the", "The quick brown fox jumps over the lazy dog.", "ÀÉÎÕÜ àéîõü",
    "abc\r\ndef\r\n", "tab\there", "\t\t\tdeep", "end\n", "\n\nstart", "a \n b", "  \n  ", " \n",
]


def test_strings(specials, seed, count):
    """Hand-written edge cases, each special token inside text, then seeded random strings."""
    rng = random.Random(seed)
    out = list(HANDWRITTEN)
    for s in specials:
        out += [s, s + s, "a" + s + "b", " " + s + " ", s + "Hello", "Hello" + s, "Hello " + s + " world",
                s + " ", " " + s, "\n" + s + "\n", s[:-1], s[1:], s + s[:-1]]
    while len(out) < count:
        n = rng.choice([0, 1, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24])
        out.append("".join(_fragment(rng, specials) for _ in range(n)))
    return out
