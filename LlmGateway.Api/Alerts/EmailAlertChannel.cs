using System.Net;
using System.Net.Mail;
using System.Text.Json;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Alerts;

/// <summary>
/// Email over SMTP (<c>Gateway:Alerts:Smtp</c>) to the team's admins (metadata <c>alert_emails</c>, or
/// <c>members_with_roles</c> entries with role admin and an email), plus <c>Gateway:Alerts:Email:To</c>.
/// </summary>
public sealed class EmailAlertChannel(AlertSetup setup, IServiceScopeFactory scopes) : IAlertChannel
{
    public string Name => AlertSetup.Email;

    public async Task SendAsync(Alert alert, CancellationToken ct)
    {
        var recipients = await RecipientsAsync(alert.TeamId, ct);
        if (recipients.Count == 0)
        {
            throw new AlertSendException("no recipients (set the team's metadata.alert_emails or Gateway:Alerts:Email:To)");
        }

        var smtp = setup.Options.Smtp;
        using var message = new MailMessage { From = new MailAddress(smtp.From!), Subject = AlertText.Subject(alert), Body = alert.Message };
        foreach (var to in recipients)
        {
            message.To.Add(to);
        }

        using var client = new SmtpClient(smtp.Host, smtp.Port)
        {
            EnableSsl = smtp.EnableSsl,
            Timeout = (int)setup.Options.SendTimeout.TotalMilliseconds,
            DeliveryMethod = SmtpDeliveryMethod.Network,
        };
        if (!string.IsNullOrEmpty(smtp.UserName))
        {
            client.Credentials = new NetworkCredential(smtp.UserName, smtp.Password);
        }

        try
        {
            await client.SendMailAsync(message, ct);
        }
        catch (SmtpException ex)
        {
            // The status code only: server text can echo addresses or the login.
            throw new AlertSendException($"SMTP {ex.StatusCode}");
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            throw new AlertSendException($"SMTP connection failed ({ex.GetType().Name})");
        }
    }

    internal async Task<List<MailAddress>> RecipientsAsync(string? teamId, CancellationToken ct)
    {
        var addresses = new List<string>(setup.Options.Email.To);
        if (teamId is not null)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var team = await db.Teams.AsNoTracking().Where(t => t.TeamId == teamId)
                .Select(t => new { t.Metadata, t.MembersWithRoles }).FirstOrDefaultAsync(ct);
            if (team is not null)
            {
                addresses.AddRange(TeamAdmins(team.Metadata, team.MembersWithRoles));
            }
        }

        return [.. addresses
            .Select(a => MailAddress.TryCreate(a, out var parsed) ? parsed : null)
            .OfType<MailAddress>()
            .DistinctBy(a => a.Address, StringComparer.OrdinalIgnoreCase)];
    }

    internal static IEnumerable<string> TeamAdmins(string metadata, string membersWithRoles)
    {
        var found = new List<string>();
        try
        {
            using var meta = JsonDocument.Parse(metadata);
            if (meta.RootElement.ValueKind == JsonValueKind.Object
                && meta.RootElement.TryGetProperty("alert_emails", out var emails) && emails.ValueKind == JsonValueKind.Array)
            {
                found.AddRange(emails.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
            }

            using var members = JsonDocument.Parse(membersWithRoles);
            if (members.RootElement.ValueKind == JsonValueKind.Array)
            {
                foreach (var member in members.RootElement.EnumerateArray().Where(m => m.ValueKind == JsonValueKind.Object))
                {
                    if (member.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String
                        && string.Equals(role.GetString(), "admin", StringComparison.OrdinalIgnoreCase)
                        && (Email(member, "user_email") ?? Email(member, "email")) is { } email)
                    {
                        found.Add(email);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // malformed team JSON: fall back to the configured list
        }

        return found;
    }

    private static string? Email(JsonElement member, string property) =>
        member.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
