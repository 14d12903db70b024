using System.Text.Json;

namespace LlmGateway.Api.Contracts;

/// <summary>Which API the client called, so errors and responses use its envelope.</summary>
public enum ClientFormat
{
    OpenAi,
    Anthropic,
}

/// <summary>Writes <see cref="GatewayError"/> as OpenAI's <c>{"error":{…}}</c> or Anthropic's <c>{"type":"error",…}</c>.</summary>
public static class ErrorWriter
{
    public static async Task WriteAsync(HttpContext context, GatewayError error, ClientFormat format)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = error.StatusCode;
        response.ContentType = "application/json";
        if (error.RetryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await using var writer = new Utf8JsonWriter(response.BodyWriter.AsStream());
        Write(writer, error, format);
        await writer.FlushAsync(context.RequestAborted);
    }

    public static void Write(Utf8JsonWriter writer, GatewayError error, ClientFormat format)
    {
        writer.WriteStartObject();
        if (format == ClientFormat.Anthropic)
        {
            writer.WriteString("type", "error");
            writer.WriteStartObject("error");
            writer.WriteString("type", error.AnthropicType ?? AnthropicType(error));
            writer.WriteString("message", error.Message);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteStartObject("error");
            writer.WriteString("message", error.Message);
            writer.WriteString("type", error.Type);
            WriteNullable(writer, "param", error.Param);
            WriteNullable(writer, "code", error.Code);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    public static byte[] ToBytes(GatewayError error, ClientFormat format)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, error, format);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Anthropic's error types are by status (wire-formats §9); our own types win where Anthropic clients know them.</summary>
    private static string AnthropicType(GatewayError error) => error.StatusCode switch
    {
        400 or 422 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 or 529 => "overloaded_error",
        504 => "timeout_error",
        _ => "api_error",
    };

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
