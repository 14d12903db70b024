using System.Net;
using System.Text.Json;

namespace LlmGateway.Admin.Services;

/// <summary>Turns an Api error answer into one sentence: the OpenAI envelope's message, or what the status means.</summary>
public static class ApiErrorMessage
{
    private const int MaxLength = 500;

    public static string From(HttpStatusCode status, string? body)
    {
        var message = FromBody(body);
        var prefix = status switch
        {
            HttpStatusCode.Unauthorized => "The Api refused the admin's credential (check Gateway:MasterKey)",
            HttpStatusCode.Forbidden => "The Api does not allow this",
            HttpStatusCode.NotFound => "Not found",
            HttpStatusCode.TooManyRequests => "The Api is rate limiting",
            >= HttpStatusCode.InternalServerError => $"The Api failed ({(int)status})",
            _ => $"The Api refused the request ({(int)status})",
        };
        return message is null ? prefix + "." : $"{prefix}: {message}";
    }

    /// <summary>True when the body carries no message of its own (an unknown route, not a refused request).</summary>
    public static bool IsBare(string? body) => FromBody(body) is null;

    private static string? FromBody(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("error", out var error))
                {
                    if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        return Trim(text.GetString());
                    }

                    if (error.ValueKind == JsonValueKind.String)
                    {
                        return Trim(error.GetString());
                    }
                }

                // ASP.NET problem details and LiteLLM's FastAPI "detail"
                foreach (var name in new[] { "detail", "title", "message" })
                {
                    if (root.TryGetProperty(name, out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        return Trim(text.GetString());
                    }
                }
            }

            return null;
        }
        catch (JsonException)
        {
            return body.TrimStart().StartsWith('<') ? null : Trim(body);
        }
    }

    private static string? Trim(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Length <= MaxLength ? text.Trim() : text[..MaxLength].Trim() + "…";
}
