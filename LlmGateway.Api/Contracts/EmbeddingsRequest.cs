using System.Text.Json;

namespace LlmGateway.Api.Contracts;

/// <summary>What the gateway needs from an OpenAI embeddings request.</summary>
public sealed class EmbeddingsRequest
{
    public required JsonBody Body { get; init; }
    public required string Model { get; init; }

    public static bool TryRead(JsonBody body, out EmbeddingsRequest request, out GatewayError? error)
    {
        request = null!;
        if (!BodyField.RejectForbidden(body, out error)
            || !BodyField.TryString(body, "model", required: true, out var model, out error)
            || !BodyField.TryString(body, "encoding_format", required: false, out var format, out error)
            || !BodyField.TryInteger(body, "dimensions", 1, 65536, out _, out error))
        {
            return false;
        }

        if (format is not (null or "float" or "base64"))
        {
            error = GatewayError.InvalidRequest("'encoding_format' must be 'float' or 'base64'.", "encoding_format", "invalid_value");
            return false;
        }

        if (!body.TryGet("input", out var input))
        {
            error = GatewayError.InvalidRequest("'input' is required.", "input", "missing_required_parameter");
            return false;
        }

        var raw = body.Raw(input);
        var empty = input.Kind switch
        {
            JsonTokenType.String => raw.Length <= 2,
            JsonTokenType.StartArray => raw.Trim(" \t\r\n"u8).Length <= 2 || raw[1..^1].Trim(" \t\r\n"u8).IsEmpty,
            _ => true,
        };
        if (input.Kind is not (JsonTokenType.String or JsonTokenType.StartArray))
        {
            error = BodyField.WrongType("input", "a string or an array", input.Kind);
            return false;
        }

        if (empty)
        {
            error = GatewayError.InvalidRequest("'input' must not be empty.", "input", "invalid_value");
            return false;
        }

        request = new EmbeddingsRequest { Body = body, Model = model! };
        return true;
    }
}
