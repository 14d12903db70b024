namespace LlmGateway.Api.Pricing.Tokens;

/// <summary>
/// The o200k pre-tokenizer pattern (<see cref="O200kCounter"/>) on ASCII text, by hand: the same pieces as the regex
/// (checked against it in the tests), without decoding to characters and without the regex engine — a request's small
/// JSON body is counted on its path, and most bodies are ASCII. On ASCII the pattern's classes are plain: letters are
/// A–Z (upper) and a–z (lower), numbers 0–9, white space tab, LF, VT, FF, CR and space; every other byte is a symbol.
/// The alternatives are tried in the pattern's order, with its backtracking:
/// <list type="number">
/// <item>an optional symbol or non-newline space, upper case letters, at least one lower case letter, a contraction;</item>
/// <item>the same with at least one upper case letter and any lower case ones after;</item>
/// <item>one to three digits;</item>
/// <item>an optional space, symbols, then any CRs, LFs and slashes;</item>
/// <item>white space up to and including its last CR or LF;</item>
/// <item>white space not followed by anything else (the run less its last character when text follows);</item>
/// <item>white space.</item>
/// </list>
/// </summary>
internal static class AsciiPreTokens
{
    private const byte Upper = 1, Lower = 2, Digit = 4, Space = 8, Newline = 16, Symbol = 32;

    private static readonly byte[] Classes = BuildClasses();

    /// <summary>Where the piece starting at <paramref name="start"/> ends (exclusive); <paramref name="text"/> is ASCII.</summary>
    public static int End(ReadOnlySpan<byte> text, int start)
    {
        var c = Classes[text[start]];
        if ((c & Digit) != 0)
        {
            var end = start + 1;
            while (end < text.Length && end < start + 3 && (Classes[text[end]] & Digit) != 0)
            {
                end++;
            }

            return end;
        }

        // 1 and 2: a letter here, or a prefix (a symbol, or white space other than CR and LF) and a letter after it.
        var letters = (c & (Upper | Lower)) != 0 ? start : (c & (Symbol | Space)) != 0 && (c & Newline) == 0 ? start + 1 : -1;
        if (letters >= 0 && letters < text.Length && Word(text, letters) is var word and >= 0)
        {
            return word;
        }

        if ((c & Symbol) != 0 || (text[start] == (byte)' ' && start + 1 < text.Length && (Classes[text[start + 1]] & Symbol) != 0))
        {
            var end = (c & Symbol) != 0 ? start + 1 : start + 2;
            while (end < text.Length && (Classes[text[end]] & Symbol) != 0)
            {
                end++;
            }

            while (end < text.Length && text[end] is (byte)'\r' or (byte)'\n' or (byte)'/')
            {
                end++;
            }

            return end;
        }

        return WhiteSpace(text, start);
    }

    /// <summary>Alternatives 1 and 2 from <paramref name="at"/>: the word's end, contraction included, or -1.</summary>
    private static int Word(ReadOnlySpan<byte> text, int at)
    {
        var end = at;
        while (end < text.Length && (Classes[text[end]] & Upper) != 0)
        {
            end++;
        }

        while (end < text.Length && (Classes[text[end]] & Lower) != 0)
        {
            end++;
        }

        // 1 needs a lower case letter after the upper case ones, or else 2 an upper case one: either way a letter.
        return end == at ? -1 : Contraction(text, end);
    }

    /// <summary>'s, 't, 're, 've, 'm, 'll or 'd (any case) at <paramref name="at"/>: the end past it, else <paramref name="at"/>.</summary>
    private static int Contraction(ReadOnlySpan<byte> text, int at)
    {
        if (at + 1 >= text.Length || text[at] != (byte)'\'')
        {
            return at;
        }

        var first = text[at + 1] | 0x20;
        if (first is 's' or 't' or 'm' or 'd')
        {
            return at + 2;
        }

        var second = at + 2 < text.Length ? text[at + 2] | 0x20 : 0;
        return (first, second) is ('r', 'e') or ('v', 'e') or ('l', 'l') ? at + 3 : at;
    }

    /// <summary>Alternatives 5, 6 and 7 at white space.</summary>
    private static int WhiteSpace(ReadOnlySpan<byte> text, int start)
    {
        var end = start;
        var lastNewline = -1;
        while (end < text.Length && (Classes[text[end]] & Space) != 0)
        {
            if ((Classes[text[end]] & Newline) != 0)
            {
                lastNewline = end;
            }

            end++;
        }

        return lastNewline >= 0 ? lastNewline + 1
            : end == text.Length || end - start < 2 ? end
            : end - 1;
    }

    private static byte[] BuildClasses()
    {
        var classes = new byte[128];
        for (var b = 0; b < classes.Length; b++)
        {
            classes[b] = b switch
            {
                >= 'A' and <= 'Z' => Upper,
                >= 'a' and <= 'z' => Lower,
                >= '0' and <= '9' => Digit,
                '\r' or '\n' => Space | Newline,
                '\t' or '\v' or '\f' or ' ' => Space,
                _ => Symbol,
            };
        }

        return classes;
    }
}
