using System.Text.Json;
using System.Text.Unicode;

namespace LlmGateway.Api.Contracts;

/// <summary>A top-level property of a request body: its name and where its raw value lies in the body.</summary>
public readonly record struct JsonBodyProperty(string Name, int ValueStart, int ValueEnd, JsonTokenType Kind);

/// <summary>
/// A validated JSON request body read in one <see cref="Utf8JsonReader"/> pass: valid UTF-8, well-formed,
/// nested no deeper than <see cref="MaxDepth"/>, a top-level object, no key twice in one object and no escape that
/// decodes to a lone surrogate (<see cref="JsonKeyCheck"/>). Only the top-level properties are indexed; values stay as
/// bytes so they can be forwarded untouched.
/// </summary>
public sealed class JsonBody
{
    public const int MaxDepth = 64;

    private readonly JsonBodyProperty[] properties;

    private JsonBody(ReadOnlyMemory<byte> bytes, JsonBodyProperty[] properties)
    {
        Bytes = bytes;
        this.properties = properties;
    }

    public ReadOnlyMemory<byte> Bytes { get; }

    public ReadOnlySpan<JsonBodyProperty> Properties => properties;

    public static bool TryParse(ReadOnlyMemory<byte> bytes, out JsonBody body, out GatewayError? error)
    {
        body = null!;
        if (!Utf8.IsValid(bytes.Span))
        {
            error = GatewayError.InvalidRequest("The request body is not valid UTF-8.");
            return false;
        }

        var list = new List<JsonBodyProperty>(16);
        var reader = new Utf8JsonReader(bytes.Span, new JsonReaderOptions { MaxDepth = MaxDepth });
        var keys = JsonKeyCheck.Create();
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = GatewayError.InvalidRequest("The request body must be a JSON object.");
                return false;
            }

            keys.OpenObject();
            error = ReadProperties(ref reader, ref keys, list);
            if (error is not null)
            {
                return false;
            }
        }
        catch (JsonException ex)
        {
            error = GatewayError.InvalidRequest($"The request body is not valid JSON: {ex.Message}");
            return false;
        }
        finally
        {
            keys.Dispose();
        }

        body = new JsonBody(bytes, [.. list]);
        return true;
    }

    /// <summary>
    /// One pass over every token: indexes the top-level properties, refuses a key twice in one object (at any depth) and
    /// an escape no decoder accepts (a lone surrogate), and reads to the end (trailing content is malformed JSON too).
    /// </summary>
    private static GatewayError? ReadProperties(ref Utf8JsonReader reader, ref JsonKeyCheck keys, List<JsonBodyProperty> list)
    {
        string? name = null;
        var (start, kind) = (0, JsonTokenType.None);
        while (reader.Read())
        {
            var token = reader.TokenType;
            if (token is JsonTokenType.PropertyName or JsonTokenType.String && reader.ValueIsEscaped && !JsonEscapes.AreValid(reader.ValueSpan))
            {
                var inName = token == JsonTokenType.PropertyName;
                return InvalidEscape(inName ? keys.ParentKey : keys.CurrentKey, inName);
            }

            if (token == JsonTokenType.PropertyName)
            {
                if (!keys.TryAddName(ref reader))
                {
                    return DuplicateKey(keys.RefusedName(ref reader), keys.ParentKey);
                }

                name = reader.CurrentDepth == 1 ? reader.GetString() : name;
                continue;
            }

            if (reader.CurrentDepth != 1)
            {
                TrackNested(token, reader.CurrentDepth, ref keys);
                continue;
            }

            // A top-level value: a primitive ends where it starts; an object or array at its end token.
            if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                (start, kind) = ((int)reader.TokenStartIndex, token);
                if (token == JsonTokenType.StartObject)
                {
                    keys.OpenObject();
                }

                continue;
            }

            if (token == JsonTokenType.EndObject)
            {
                keys.CloseObject();
            }
            else if (token != JsonTokenType.EndArray)
            {
                (start, kind) = ((int)reader.TokenStartIndex, token);
            }

            list.Add(new JsonBodyProperty(name!, start, (int)reader.BytesConsumed, kind));
        }

        return null;
    }

    /// <summary>An object below the top level has its own keys; the root's end (depth 0) closes nothing the check still needs.</summary>
    private static void TrackNested(JsonTokenType token, int depth, ref JsonKeyCheck keys)
    {
        if (token == JsonTokenType.StartObject)
        {
            keys.OpenObject();
        }
        else if (token == JsonTokenType.EndObject && depth > 0)
        {
            keys.CloseObject();
        }
    }

    private static GatewayError DuplicateKey(string key, string? parent)
    {
        var where = parent is null ? "" : $" (inside '{Shown(parent)}')";
        return GatewayError.InvalidRequest(
            $"The request body has the key '{Shown(key)}' more than once in one object{where}. Send each key once: " +
            "the gateway does not guess which of the values the upstream would use.", Shown(parent ?? key), "duplicate_key");
    }

    private static GatewayError InvalidEscape(string? field, bool inName)
    {
        var where = (inName, field) switch
        {
            (true, null) => "in a key name",
            (true, _) => $"in a key name inside '{Shown(field)}'",
            (false, _) => $"in the value of '{Shown(field ?? "")}'",
        };
        return GatewayError.InvalidRequest(
            $"The request body has an invalid \\u escape (a lone UTF-16 surrogate) {where}; escape a character outside the BMP as a surrogate pair.",
            field is null ? null : Shown(field), "invalid_escape");
    }

    private static string Shown(string key) => key.Length <= 64 ? key : key[..64] + "…";

    public bool TryGet(string name, out JsonBodyProperty property)
    {
        foreach (var candidate in properties)
        {
            if (candidate.Name == name)
            {
                property = candidate;
                return true;
            }
        }

        property = default;
        return false;
    }

    public ReadOnlySpan<byte> Raw(scoped in JsonBodyProperty property) => Bytes.Span[property.ValueStart..property.ValueEnd];

    /// <summary>
    /// Whether raw JSON has a <c>\u</c> escape, which may spell an ASCII word (<c>"\u0070riority"</c> is <c>"priority"</c> to
    /// every decoder, the provider's included): a search for the word's bytes must then decode before it says "absent".
    /// </summary>
    public static bool HasUnicodeEscape(ReadOnlySpan<byte> raw) => raw.IndexOf("\\u"u8) >= 0;

    /// <summary>Whether a top-level string property, decoded, is one of <paramref name="values"/>.</summary>
    public bool StringIsAny(scoped in JsonBodyProperty property, byte[][] values)
    {
        if (property.Kind != JsonTokenType.String)
        {
            return false;
        }

        var reader = ReaderFor(property);
        foreach (var value in values)
        {
            if (reader.ValueTextEquals(value))
            {
                return true;
            }
        }

        return false;
    }

    private IReadOnlyList<TypedTool>? hostedTools;

    /// <summary>The hosted tools of the top-level <c>tools</c> array (<see cref="HostedToolTypes"/>), read once; empty without one.</summary>
    public IReadOnlyList<TypedTool> HostedTools => hostedTools ??=
        TryGet("tools", out var tools) && tools.Kind == JsonTokenType.StartArray ? HostedToolTypes.Of(RawMemory(tools)) : [];

    public ReadOnlyMemory<byte> RawMemory(in JsonBodyProperty property) => Bytes[property.ValueStart..property.ValueEnd];

    /// <summary>A reader positioned on the property's value token.</summary>
    public Utf8JsonReader ReaderFor(scoped in JsonBodyProperty property)
    {
        var reader = new Utf8JsonReader(Raw(property), new JsonReaderOptions { MaxDepth = MaxDepth });
        reader.Read();
        return reader;
    }
}
