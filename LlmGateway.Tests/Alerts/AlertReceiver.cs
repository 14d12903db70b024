using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Tests.Alerting;

/// <summary>A Slack-like incoming webhook and a generic webhook on loopback: records every POST, fails on request.</summary>
public sealed class AlertReceiver : IAsyncDisposable
{
    public const string SlackPath = "/services/T000/B000/SECRETSLACKTOKEN42";
    public const string WebhookPath = "/hooks/SECRETHOOKTOKEN42";

    private readonly WebApplication app;
    private readonly ConcurrentQueue<(string Path, string Body, int Status)> posts = new();
    private readonly ConcurrentDictionary<string, int> failures = new();

    private AlertReceiver(WebApplication app) => this.app = app;

    public string SlackUrl => BaseUrl + SlackPath;
    public string WebhookUrl => BaseUrl + WebhookPath;
    private string BaseUrl { get; set; } = "";

    public static async Task<AlertReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var receiver = new AlertReceiver(builder.Build());
        receiver.app.MapPost("/{**path}", (Delegate)receiver.ReceiveAsync);
        await receiver.app.StartAsync();
        receiver.BaseUrl = receiver.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return receiver;
    }

    /// <summary>The generic webhook answers 500 to the first <paramref name="times"/> posts whose body contains <paramref name="marker"/>.</summary>
    public void FailWebhook(string marker, int times) => failures[marker] = times;

    /// <summary>Successful posts to Slack whose text contains <paramref name="marker"/>.</summary>
    public List<string> Slack(string marker) => Delivered(SlackPath, marker);

    /// <summary>Successful posts to the generic webhook whose body contains <paramref name="marker"/>.</summary>
    public List<string> Webhook(string marker) => Delivered(WebhookPath, marker);

    public int WebhookFailures(string marker) => posts.Count(p => p.Path == WebhookPath && p.Status == 500 && p.Body.Contains(marker, StringComparison.Ordinal));

    private List<string> Delivered(string path, string marker) =>
        [.. posts.Where(p => p.Path == path && p.Status == 200 && p.Body.Contains(marker, StringComparison.Ordinal)).Select(p => p.Body)];

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        var path = context.Request.Path.Value ?? "";
        var status = 200;
        foreach (var (marker, left) in failures)
        {
            if (path == WebhookPath && left > 0 && body.Contains(marker, StringComparison.Ordinal) && failures.TryUpdate(marker, left - 1, left))
            {
                status = 500;
                break;
            }
        }

        posts.Enqueue((path, body, status));
        return status == 200 ? Results.Text("ok") : Results.StatusCode(status);
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
