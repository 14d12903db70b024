using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Api.Data.Entities;

namespace LlmGateway.Api.Alerts;

/// <summary>Where alerts go. <see cref="SendAsync"/> throws <see cref="AlertSendException"/> with a message safe to store and show.</summary>
public interface IAlertChannel
{
    string Name { get; }
    Task SendAsync(Alert alert, CancellationToken ct);
}

/// <summary>A failed send, described without the URL, credentials or server text.</summary>
public sealed class AlertSendException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The alert channels' own HttpClient: not from the factory (its loggers would write the webhook URL, a secret, and the
/// standard resilience handler would retry under our own bounded retry).
/// </summary>
public sealed class AlertHttp : IDisposable
{
    public HttpClient Client { get; } = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = TimeSpan.FromSeconds(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task PostJsonAsync(string url, object body, CancellationToken ct)
    {
        // Traces would carry the URL path (the secret of a Slack webhook): keep these requests out of them.
        using var quiet = OpenTelemetry.SuppressInstrumentationScope.Begin();
        HttpResponseMessage response;
        try
        {
            response = await Client.PostAsJsonAsync(url, body, AlertJson.Options, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new AlertSendException($"connection failed ({ex.HttpRequestError})");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new AlertSendException("timed out");
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new AlertSendException($"HTTP {(int)response.StatusCode}");
            }
        }
    }

    public void Dispose() => Client.Dispose();
}

internal static class AlertJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };
}

/// <summary>A Slack incoming webhook: <c>{"text": …}</c> to <c>SLACK_WEBHOOK_URL</c>.</summary>
public sealed class SlackAlertChannel(AlertSetup setup, AlertHttp http) : IAlertChannel
{
    public string Name => AlertSetup.Slack;

    public Task SendAsync(Alert alert, CancellationToken ct) =>
        http.PostJsonAsync(setup.SlackWebhookUrl!, new { text = AlertText.Slack(alert) }, ct);
}

/// <summary>A generic JSON webhook at <c>Gateway:Alerts:WebhookUrl</c>.</summary>
public sealed class WebhookAlertChannel(AlertSetup setup, AlertHttp http) : IAlertChannel
{
    public string Name => AlertSetup.Webhook;

    public Task SendAsync(Alert alert, CancellationToken ct) =>
        http.PostJsonAsync(setup.WebhookUrl!, new
        {
            alert_id = alert.Id,
            type = alert.Type,
            severity = alert.Severity,
            scope = alert.Scope,
            id = alert.ScopeId,
            name = alert.Name,
            team_id = alert.TeamId,
            threshold = alert.Threshold,
            spend = alert.Spend,
            budget = alert.Budget,
            period_start = alert.PeriodStart,
            resets_at = alert.ResetsAt,
            message = alert.Message,
            sent_at = DateTimeOffset.UtcNow,
        }, ct);
}
