using System.Buffers;
using System.Text;
using System.Text.Json;

namespace LlmGateway.Api.Contracts;

/// <summary>
/// The duplicate-key and escape check of <see cref="JsonBody.TryParse"/>, fed the tokens of its one reader pass: a body
/// must never mean one thing to the gateway (which reads a key's first value) and another to the upstream (which may
/// read its last). Names are unescaped into one pooled buffer and compared within their object, so the common path
/// allocates nothing per property; an object past <see cref="LinearLimit"/> keys switches to a hash set.
/// </summary>
internal struct JsonKeyCheck : IDisposable
{
    private const int LinearLimit = 32;

    private byte[] arena;
    private int arenaLength;
    private int[] names; // offset, length of each name of the open objects, in the arena
    private int nameCount;
    private int[] frames; // the index of the first name of each open object
    private int depth;
    private HashSet<string>?[]? large;

    public static JsonKeyCheck Create() => new()
    {
        arena = ArrayPool<byte>.Shared.Rent(512),
        names = ArrayPool<int>.Shared.Rent(128),
        frames = ArrayPool<int>.Shared.Rent(JsonBody.MaxDepth + 2),
    };

    /// <summary>The nearest enclosing key (for error messages), or null at the top level before any key.</summary>
    public readonly string? CurrentKey => nameCount == 0 ? null : NameAt(nameCount - 1);

    /// <summary>The key whose value holds the innermost open object (for error messages); null for the top level.</summary>
    public readonly string? ParentKey => depth == 0 || frames[depth - 1] == 0 ? null : NameAt(frames[depth - 1] - 1);

    public void OpenObject() => frames[depth++] = nameCount;

    public void CloseObject()
    {
        var start = frames[--depth];
        if (nameCount > start)
        {
            arenaLength = names[start * 2];
            nameCount = start;
        }

        if (large is not null)
        {
            large[depth] = null;
        }
    }

    /// <summary>Adds the reader's property name to its object; false when the object already has it.</summary>
    public bool TryAddName(ref Utf8JsonReader reader)
    {
        var raw = reader.ValueSpan;
        Reserve(raw.Length);
        var length = reader.ValueIsEscaped ? reader.CopyString(arena.AsSpan(arenaLength)) : Copy(raw);
        var name = arena.AsSpan(arenaLength, length);
        var start = frames[depth - 1];
        if (nameCount - start < LinearLimit)
        {
            for (var i = start; i < nameCount; i++)
            {
                if (name.SequenceEqual(arena.AsSpan(names[i * 2], names[i * 2 + 1])))
                {
                    return false;
                }
            }
        }
        else if (!LargeObject(start).Add(Encoding.UTF8.GetString(name)))
        {
            return false;
        }

        if (names.Length < (nameCount + 1) * 2)
        {
            names = Grown(names, nameCount * 2);
        }

        names[nameCount * 2] = arenaLength;
        names[nameCount * 2 + 1] = length;
        nameCount++;
        arenaLength += length;
        return true;
    }

    /// <summary>The name the last <see cref="TryAddName"/> refused (it is left just past the stored names).</summary>
    public readonly string RefusedName(ref Utf8JsonReader reader) =>
        Encoding.UTF8.GetString(arena.AsSpan(arenaLength, reader.ValueIsEscaped ? reader.CopyString(arena.AsSpan(arenaLength)) : reader.ValueSpan.Length));

    private readonly string NameAt(int index) => Encoding.UTF8.GetString(arena.AsSpan(names[index * 2], names[index * 2 + 1]));

    /// <summary>The hash set of an object with many keys, filled with the names it has so far (the uncommon path).</summary>
    private HashSet<string> LargeObject(int start)
    {
        large ??= new HashSet<string>?[JsonBody.MaxDepth + 2];
        if (large[depth - 1] is { } set)
        {
            return set;
        }

        set = new HashSet<string>(StringComparer.Ordinal);
        for (var i = start; i < nameCount; i++)
        {
            set.Add(NameAt(i));
        }

        return large[depth - 1] = set;
    }

    private int Copy(ReadOnlySpan<byte> raw)
    {
        raw.CopyTo(arena.AsSpan(arenaLength));
        return raw.Length;
    }

    private void Reserve(int length)
    {
        if (arena.Length - arenaLength >= length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(arena.Length * 2, arenaLength + length));
        arena.AsSpan(0, arenaLength).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(arena);
        arena = larger;
    }

    private static int[] Grown(int[] array, int used)
    {
        var larger = ArrayPool<int>.Shared.Rent(array.Length * 2);
        array.AsSpan(0, used).CopyTo(larger);
        ArrayPool<int>.Shared.Return(array);
        return larger;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(arena);
        ArrayPool<int>.Shared.Return(names);
        ArrayPool<int>.Shared.Return(frames);
        arena = [];
        names = frames = [];
    }
}

/// <summary>JSON string escapes the reader accepts but no decoder can: <c>\u</c> escapes that leave a lone UTF-16 surrogate.</summary>
internal static class JsonEscapes
{
    /// <summary>True when the escaped text (without quotes) decodes to valid UTF-16; the reader has checked the rest.</summary>
    public static bool AreValid(ReadOnlySpan<byte> escaped)
    {
        var highPending = false;
        var i = 0;
        while (true)
        {
            var at = escaped[i..].IndexOf((byte)'\\');
            if (at < 0)
            {
                return !highPending;
            }

            i += at;
            if (escaped[i + 1] != (byte)'u')
            {
                if (highPending)
                {
                    return false;
                }

                i += 2;
                continue;
            }

            var unit = (Hex(escaped[i + 2]) << 12) | (Hex(escaped[i + 3]) << 8) | (Hex(escaped[i + 4]) << 4) | Hex(escaped[i + 5]);
            var isHigh = unit is >= 0xD800 and <= 0xDBFF;
            var isLow = unit is >= 0xDC00 and <= 0xDFFF;
            if (highPending != isLow)
            {
                return false; // a low without a high before it, or a high followed by anything but a low
            }

            highPending = isHigh;
            i += 6;
            if (highPending && (i >= escaped.Length || escaped[i] != (byte)'\\'))
            {
                return false;
            }
        }
    }

    private static int Hex(byte digit) => digit <= '9' ? digit - '0' : (digit | 0x20) - 'a' + 10;
}
