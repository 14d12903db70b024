using LlmGateway.Api.Auth;
using LlmGateway.Api.Contracts;
using Microsoft.AspNetCore.Http.Features;

namespace LlmGateway.Api.Management;

/// <summary>
/// The management API's gate: the master key only; a valid virtual key gets 403, anything else 401. It runs as
/// middleware after routing, before the handler's parameters are bound, so an unauthenticated client never gets
/// its body read or parsed, and an authenticated one may send at most <c>Gateway:ManagementMaxBodyBytes</c> (1 MiB).
/// </summary>
public static class MasterKeyFilter
{
    public const long DefaultMaxBodyBytes = 1024 * 1024;

    /// <summary>Marks a route group as master-key only (checked by <see cref="UseMasterKeyGate"/>).</summary>
    public static RouteGroupBuilder RequireMasterKey(this RouteGroupBuilder group) => group.WithMetadata(MasterKeyRequired.Instance);

    public static WebApplication UseMasterKeyGate(this WebApplication app)
    {
        var maxBody = app.Configuration.GetValue("Gateway:ManagementMaxBodyBytes", DefaultMaxBodyBytes);
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<MasterKeyRequired>() is null)
            {
                await next(context);
                return;
            }

            var auth = context.RequestServices.GetRequiredService<GatewayAuthenticator>();
            var error = await auth.RequireMasterAsync(context.Request, context.RequestAborted);
            if (error is null && context.Request.ContentLength > maxBody)
            {
                error = GatewayError.BodyTooLarge(maxBody);
            }

            if (error is not null)
            {
                // The unread body is not drained: the connection closes after this answer.
                context.Response.Headers.Connection = "close";
                await ErrorWriter.WriteAsync(context, error, ClientFormat.OpenAi);
                return;
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = maxBody;
            }

            try
            {
                await next(context);
            }
            catch (Exception ex) when (!context.Response.HasStarted && RefusedByTheDatabase(ex) is { } refused)
            {
                await ErrorWriter.WriteAsync(context, refused, ClientFormat.OpenAi);
            }
        });
        return app;
    }

    /// <summary>
    /// What Postgres refused of an admin's input, as the 4xx it is, never a 500 (ManagementInputAttackTests): a value longer
    /// than its column or holding a NUL, a number past its column, a row created twice at once (the loser of a
    /// check-then-insert race), a row naming one deleted meanwhile. The validation before the write names most fields;
    /// this is the net under it.
    /// </summary>
    private static GatewayError? RefusedByTheDatabase(Exception ex) =>
        (ex as Npgsql.PostgresException ?? ex.InnerException as Npgsql.PostgresException) is not { } postgres ? null : postgres.SqlState switch
        {
            "22001" => TooLong(ex as Microsoft.EntityFrameworkCore.DbUpdateException) ?? GatewayError.InvalidRequest(
                $"A value is longer than its field allows{Where(postgres)}.", postgres.ColumnName, "value_too_long"),
            "22021" or "22P05" => GatewayError.InvalidRequest("A value holds a character the store cannot keep (U+0000).", postgres.ColumnName, "invalid_value"),
            "22003" or "22008" => GatewayError.InvalidRequest($"A number or date is out of range{Where(postgres)}.", postgres.ColumnName, "invalid_value"),
            "23505" => GatewayError.InvalidRequest($"It already exists{Where(postgres)} (created by a request at the same time).", postgres.ColumnName, "already_exists"),
            "23503" => new GatewayError(StatusCodes.Status404NotFound, "not_found_error",
                $"Something it refers to was not found (deleted at the same time){Where(postgres)}.", postgres.ColumnName, "not_found"),
            _ => null,
        };

    /// <summary>The field too long for its column (Postgres does not say which): the saved entities' strings against their lengths.</summary>
    private static GatewayError? TooLong(Microsoft.EntityFrameworkCore.DbUpdateException? update)
    {
        foreach (var entry in update?.Entries ?? [])
        {
            foreach (var property in entry.Properties)
            {
                if (property.Metadata.GetMaxLength() is { } most && property.CurrentValue is string value && value.Length > most)
                {
                    var field = System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Metadata.Name);
                    return GatewayError.InvalidRequest($"'{field}' is longer than {most} characters ({value.Length}).", field, "value_too_long");
                }
            }
        }

        return null;
    }

    private static string Where(Npgsql.PostgresException postgres) =>
        postgres.TableName is { } table ? $" ({table}{(postgres.ColumnName is { } column ? "." + column : "")})" : "";

    private sealed class MasterKeyRequired
    {
        public static readonly MasterKeyRequired Instance = new();
    }
}
