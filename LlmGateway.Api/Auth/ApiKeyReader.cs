namespace LlmGateway.Api.Auth;

/// <summary>Finds the caller's key: <c>Authorization: Bearer</c>, then <c>x-api-key</c> (Anthropic clients), then <c>api-key</c> (Azure clients).</summary>
public static class ApiKeyReader
{
    public static string? Read(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length > 7 && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization[7..].Trim();
        }

        var apiKey = request.Headers["x-api-key"].ToString();
        if (apiKey.Length > 0)
        {
            return apiKey.Trim();
        }

        apiKey = request.Headers["api-key"].ToString();
        return apiKey.Length > 0 ? apiKey.Trim() : null;
    }
}
