using System.Net;

namespace LlmGateway.Admin.Services;

/// <summary>A management API answer: the value, or an error a person can read. Never thrown.</summary>
public sealed record ApiResult<T>(T? Value, string? Error, HttpStatusCode? Status)
{
    public bool Ok => Error is null;

    /// <summary>The Api answered 404: the endpoint (or the thing asked for) does not exist.</summary>
    public bool NotFound => Status == HttpStatusCode.NotFound;

    public static ApiResult<T> Success(T value, HttpStatusCode status = HttpStatusCode.OK) => new(value, null, status);

    public static ApiResult<T> Failure(string error, HttpStatusCode? status = null) => new(default, error, status);
}
