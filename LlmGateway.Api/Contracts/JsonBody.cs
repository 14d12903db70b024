using System.Text.Json;
using System.Text.Unicode;

namespace LlmGateway.Api.Contracts;

/// <summary>A top-level property of a request body: its name and where its raw value lies in the body.</summary>
public readonly record struct JsonBodyProperty(string Name, int ValueStart, int ValueEnd, JsonTokenType Kind);

/// <summary>
/// A validated JSON request body read in one <see cref="Utf8JsonReader"/> pass: valid UTF-8, well-formed,
/// nested no deeper than <see cref="MaxDepth"/>, a top-level object. Only the top-level properties are indexed;
/// values stay as bytes so they can be forwarded untouched.
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
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = GatewayError.InvalidRequest("The request body must be a JSON object.");
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                var kind = reader.TokenType;
                reader.Skip();
                list.Add(new JsonBodyProperty(name, start, (int)reader.BytesConsumed, kind));
            }

            // Trailing content after the object is malformed JSON too.
            while (reader.Read())
            {
            }
        }
        catch (JsonException ex)
        {
            error = GatewayError.InvalidRequest($"The request body is not valid JSON: {ex.Message}");
            return false;
        }

        body = new JsonBody(bytes, [.. list]);
        error = null;
        return true;
    }

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

    public ReadOnlyMemory<byte> RawMemory(in JsonBodyProperty property) => Bytes[property.ValueStart..property.ValueEnd];

    /// <summary>A reader positioned on the property's value token.</summary>
    public Utf8JsonReader ReaderFor(scoped in JsonBodyProperty property)
    {
        var reader = new Utf8JsonReader(Raw(property), new JsonReaderOptions { MaxDepth = MaxDepth });
        reader.Read();
        return reader;
    }
}
