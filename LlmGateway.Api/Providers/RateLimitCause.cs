using System.Globalization;

namespace LlmGateway.Api.Providers;

/// <summary>
/// Why a provider answered 429: the deployment is out of capacity (cool it down), or this one request is refused by
/// itself — OpenAI's "Request too large for … tokens per min", or any 429 while the provider's own rate-limit headers
/// (OpenAI <c>x-ratelimit-remaining-*</c>, Anthropic <c>anthropic-ratelimit-*-remaining</c>) say capacity remains.
/// </summary>
public static class RateLimitCause
{
    private static readonly string[] RemainingHeaders =
    [
        "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens",
        "anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-tokens-remaining",
        "anthropic-ratelimit-input-tokens-remaining", "anthropic-ratelimit-output-tokens-remaining",
    ];

    public static bool IsRequestLevel(HttpResponseMessage response, string message)
    {
        if (message.Contains("request too large", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var seen = false;
        foreach (var name in RemainingHeaders)
        {
            if (!response.Headers.TryGetValues(name, out var values))
            {
                continue;
            }

            if (!long.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var remaining) || remaining <= 0)
            {
                return false; // this limit is spent (or unreadable): the deployment is out of it
            }

            seen = true;
        }

        return seen;
    }
}
