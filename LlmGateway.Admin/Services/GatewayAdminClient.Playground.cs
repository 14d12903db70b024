using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace LlmGateway.Admin.Services;

/// <summary>What the playground shows of one chat: the status, the gateway's response headers, or why it failed.</summary>
public sealed record PlaygroundReply(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, string? Error);

public sealed partial class GatewayAdminClient
{
    /// <summary>The response headers the playground shows: cost, provider, attempts, timings.</summary>
    public static readonly string[] PlaygroundHeaders =
    [
        "x-gateway-cost-usd", "x-gateway-provider", "x-gateway-deployment", "x-gateway-attempts", "x-gateway-cache",
        "server-timing", "x-request-id", "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens",
    ];

    /// <summary>
    /// A streamed chat completion through the Api, as a client would send it: with <paramref name="key"/>, or the master
    /// key when it is empty. Each text delta goes to <paramref name="onText"/> as it arrives.
    /// </summary>
    public async Task<PlaygroundReply> StreamChatAsync(string model, string message, string? key, Func<string, Task> onText, CancellationToken ct)
    {
        using var request = Authorized(HttpMethod.Post, "/v1/chat/completions");
        if (!string.IsNullOrWhiteSpace(key))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key.Trim());
        }

        request.Content = JsonContent.Create(new
        {
            model,
            stream = true,
            messages = new[] { new { role = "user", content = message } },
        });
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var headers = PlaygroundHeaders
                .Where(name => response.Headers.Contains(name))
                .Select(name => KeyValuePair.Create(name, string.Join(", ", response.Headers.GetValues(name))))
                .ToList();
            if (!response.IsSuccessStatusCode)
            {
                return new((int)response.StatusCode, headers, ApiErrorMessage.From(response.StatusCode, await response.Content.ReadAsStringAsync(ct)));
            }

            await ReadEventsAsync(await response.Content.ReadAsStreamAsync(ct), onText, ct);
            return new((int)response.StatusCode, headers, null);
        }
        catch (HttpRequestException ex)
        {
            return new(0, [], $"The Api could not be reached: {ex.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(0, [], "The Api did not answer in time.");
        }
    }

    private static async Task ReadEventsAsync(Stream body, Func<string, Task> onText, CancellationToken ct)
    {
        using var reader = new StreamReader(body);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal))
            {
                continue;
            }

            var data = line[5..].Trim();
            if (data == "[DONE]")
            {
                return;
            }

            using var chunk = JsonDocument.Parse(data);
            if (chunk.RootElement.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0
                && choices[0].TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content)
                && content.GetString() is { Length: > 0 } text)
            {
                await onText(text);
            }
        }
    }
}
