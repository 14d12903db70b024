using LlmGateway.Api.Data.Entities;

namespace LlmGateway.Api.Alerts;

/// <summary>One delivery attempt of an alert to the channels it still owes, and what to do after it (retry with jittered backoff, or give up).</summary>
public sealed class AlertDelivery(AlertSetup setup, IEnumerable<IAlertChannel> channels, AlertStore store, TimeProvider clock, ILogger<AlertDelivery> logger)
{
    private readonly Dictionary<string, IAlertChannel> byName = channels.ToDictionary(c => c.Name, StringComparer.Ordinal);

    /// <summary>A new alert's delivery state: pending on every usable channel, or <c>not_sent</c> when there is none.</summary>
    public void Prepare(Alert alert, DateTimeOffset now)
    {
        alert.PendingChannels = [.. setup.UsableChannels];
        alert.Status = alert.PendingChannels.Count == 0 ? AlertStatus.NotSent : AlertStatus.Pending;
        alert.NextAttemptAt = now;
    }

    public async Task AttemptAsync(Alert alert, CancellationToken ct)
    {
        alert.Attempts++;
        var errors = new List<string>();
        foreach (var channel in alert.PendingChannels.ToList())
        {
            if (await SendAsync(channel, alert, ct) is { } error)
            {
                errors.Add($"{channel}: {error}");
                continue;
            }

            alert.PendingChannels.Remove(channel);
            alert.DeliveredChannels.Add(channel);
        }

        var now = clock.GetUtcNow();
        if (errors.Count > 0)
        {
            // Kept after a later success too: the row then says why it took several attempts.
            alert.LastError = string.Join("; ", errors);
        }

        if (alert.PendingChannels.Count == 0)
        {
            alert.Status = AlertStatus.Delivered;
            alert.DeliveredAt = now;
        }
        else if (alert.Attempts >= setup.Options.MaxAttempts)
        {
            alert.Status = AlertStatus.Failed;
            logger.LogWarning("Alert {AlertId} ({Type}) was not delivered after {Attempts} attempts: {Errors}", alert.Id, alert.Type, alert.Attempts, alert.LastError);
        }
        else
        {
            alert.NextAttemptAt = now + Backoff(alert.Attempts);
            logger.LogInformation("Alert {AlertId} ({Type}) attempt {Attempt} failed ({Errors}); retrying at {Next:o}", alert.Id, alert.Type, alert.Attempts, alert.LastError, alert.NextAttemptAt);
        }

        await store.SaveDeliveryAsync(alert, CancellationToken.None);
    }

    /// <summary>Sends now, bounded by the send timeout; null on success, else a reason safe to store and show.</summary>
    public async Task<string?> SendAsync(string channelName, Alert alert, CancellationToken ct)
    {
        if (!byName.TryGetValue(channelName, out var channel) || !setup.UsableChannels.Contains(channelName))
        {
            return "channel is not configured";
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(setup.Options.SendTimeout);
        try
        {
            await channel.SendAsync(alert, timeout.Token);
            return null;
        }
        catch (AlertSendException ex)
        {
            return ex.Message;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return "timed out";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return $"failed ({ex.GetType().Name})";
        }
    }

    /// <summary>Exponential from the base delay, capped, with jitter between half and all of it so replicas do not retry in step.</summary>
    internal TimeSpan Backoff(int attempt)
    {
        var options = setup.Options;
        var exponential = options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1));
        var capped = Math.Min(exponential, options.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + Random.Shared.NextDouble() * 0.5));
    }
}
